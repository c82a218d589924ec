"""The colour groups of adaptive discriminator augmentation (Karras et al. 2020, Appendix B; docs/algorithms.md
section 24): brightness, contrast, luma flip, hue rotation and saturation, each chosen per image with
probability p, composed into one affine map of RGB (A [n, 3, 3], b [n, 3]) applied once. RGB(A): the first
three channels, alpha kept. Gray (1 channel, or gray + alpha): the gray value read as the RGB pixel (g, g, g),
mapped, and the three averaged back (brightness, contrast and luma flip act as on RGB; hue and saturation
move nothing a gray pixel keeps)."""
from __future__ import annotations

import math

import torch

from .ada_transforms import (BRIGHTNESS_STD, CONTRAST_STD, HUE_MAX, LUMA_AXIS, SATURATION_STD, chosen)


def compose(groups: list[str], n: int, p: float, device, dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(A [n, 3, 3], b [n, 3], which images any group changed [n]) for the groups in the paper's order."""
    A = torch.eye(3, device=device, dtype=dtype).repeat(n, 1, 1)
    b = torch.zeros(n, 3, device=device, dtype=dtype)
    changed = torch.zeros(n, dtype=torch.bool, device=device)
    v = LUMA_AXIS.to(device, dtype)
    vvT = torch.outer(v, v)
    eye = torch.eye(3, device=device, dtype=dtype)
    for group in ("brightness", "contrast", "lumaflip", "hue", "saturation"):
        if group not in groups:
            continue
        on = chosen(n, p, device)
        if group == "brightness":  # x + b (1, 1, 1)
            shift = (torch.randn(n, device=device, dtype=dtype) * BRIGHTNESS_STD)[:, None].expand(n, 3)
            M, t = eye.expand(n, 3, 3), shift
        elif group == "contrast":  # c x
            c = 2 ** (torch.randn(n, device=device, dtype=dtype) * CONTRAST_STD)
            M, t = c[:, None, None] * eye, torch.zeros(n, 3, device=device, dtype=dtype)
        elif group == "lumaflip":  # the Householder reflection I - 2 v v^T, or none, equally likely
            flip = torch.randint(0, 2, (n,), device=device).to(dtype)
            M, t = eye - 2 * flip[:, None, None] * vvT, torch.zeros(n, 3, device=device, dtype=dtype)
        elif group == "hue":  # a rotation about v by theta ~ U(-pi, pi) (Rodrigues' formula)
            theta = (torch.rand(n, device=device, dtype=dtype) * 2 - 1) * math.pi * HUE_MAX
            M = rotation_about(v, theta)
            t = torch.zeros(n, 3, device=device, dtype=dtype)
        else:  # saturation: v v^T + s (I - v v^T), s = 2^N(0, 1)
            s = 2 ** (torch.randn(n, device=device, dtype=dtype) * SATURATION_STD)
            M, t = vvT + s[:, None, None] * (eye - vvT), torch.zeros(n, 3, device=device, dtype=dtype)
        M = torch.where(on[:, None, None], M, eye)
        t = torch.where(on[:, None], t, torch.zeros_like(t))
        A, b = M @ A, (M @ b[:, :, None]).squeeze(2) + t
        changed = changed | on
    return A, b, changed


def rotation_about(v: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """cos(theta) I + sin(theta) [v]_x + (1 - cos(theta)) v v^T, per angle [n, 3, 3]."""
    cross = torch.zeros(3, 3, dtype=v.dtype, device=v.device)
    cross[0, 1], cross[0, 2], cross[1, 2] = -v[2], v[1], -v[0]
    cross = cross - cross.T
    cos, sin = theta.cos()[:, None, None], theta.sin()[:, None, None]
    return cos * torch.eye(3, dtype=v.dtype, device=v.device) + sin * cross + (1 - cos) * torch.outer(v, v)


def colour(x: torch.Tensor, p: float, groups: list[str]) -> torch.Tensor:
    """x [N, C, H, W] with the colour groups applied: RGB(A) on channels 0-2, gray(+alpha) on channel 0."""
    n, c, h, w = x.shape
    A, b, changed = compose(groups, n, p, x.device, x.dtype)
    if not bool(changed.any()):
        return x
    coloured = 3 if c >= 3 else 1
    pixels = x[:, :coloured].reshape(n, coloured, h * w)
    if coloured == 3:
        mapped = A @ pixels + b[:, :, None]
    else:  # (g, g, g) mapped, then the mean of the three: g times A's mean row sum, plus b's mean
        mapped = A.sum(2).mean(1)[:, None, None] * pixels + b.mean(1)[:, None, None]
    out = torch.cat([mapped.reshape(n, coloured, h, w), x[:, coloured:]], dim=1)
    return torch.where(changed.view(n, 1, 1, 1), out, x)  # untouched images stay exact
