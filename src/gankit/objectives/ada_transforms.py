"""The augmentation groups of adaptive discriminator augmentation (Karras et al. 2020, arXiv 2006.06676,
Appendix B; docs/algorithms.md section 24): each group is applied to each image independently with
probability p, all differentiable in the images, all drawing from the global RNG (the training stream). The
groups run in the paper's order whatever order the config lists them in: integer geometry (exact pixel
permutations), then general geometry (one affine resampling), then colour (one affine map of RGB)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..config_checks import ADA_GROUPS

INTEGER_GROUPS = ("xflip", "rotate90", "xint")
GENERAL_GROUPS = ("scale", "rotate", "aniso", "xfrac")
COLOUR_GROUPS = ("brightness", "contrast", "lumaflip", "hue", "saturation")
assert INTEGER_GROUPS + GENERAL_GROUPS + COLOUR_GROUPS == ADA_GROUPS

# strengths: the paper's defaults (its augment.py)
XINT_MAX = 0.125        # integer translation: up to this fraction of the side, rounded to pixels
SCALE_STD = 0.2         # isotropic scale 2^N(0, 0.2^2)
ROTATE_MAX = 1.0        # rotation angle U(-pi, pi) times this
ANISO_STD = 0.2         # anisotropic scale 2^N(0, 0.2^2) on x, its inverse on y
XFRAC_STD = 0.125       # fractional translation N(0, 0.125^2) of the side
BRIGHTNESS_STD = 0.2    # added to every colour channel, N(0, 0.2^2) (data in [-1, 1])
CONTRAST_STD = 0.5      # colours times 2^N(0, 0.5^2)
HUE_MAX = 1.0           # hue rotation about the gray axis, U(-pi, pi) times this
SATURATION_STD = 1.0    # chroma times 2^N(0, 1)
LUMA_AXIS = torch.full((3,), 1 / math.sqrt(3))  # the gray axis v of RGB


def chosen(n: int, p: float, device) -> torch.Tensor:
    """Which of n images a group is applied to: each with probability p [n] bool."""
    return torch.rand(n, device=device) < p


# --- integer geometry: pixel permutations, exact -----------------------------------------------

def mirrored_index(i: torch.Tensor, n: int) -> torch.Tensor:
    """Indices folded into [0, n) by mirroring about the border, the edge pixel repeated (grid_sample's
    reflection padding): -1 -> 0, -2 -> 1, n -> n - 1."""
    m = i.remainder(2 * n)
    return torch.where(m >= n, 2 * n - 1 - m, m)


def integer_geometry(x: torch.Tensor, p: float, groups: list[str]) -> torch.Tensor:
    """The integer groups as one gather of pixels (each output pixel reads one input pixel, so values are
    exact), each chosen per image with probability p:
    xflip: then a horizontal flip or none, equally likely (the paper's i ~ U{0, 1});
    rotate90: a rotation by k x 90 degrees, k ~ U{0, 1, 2, 3} (square images; torch.rot90's direction);
    xint: a shift by round(t x side) pixels per axis, t ~ U(-0.125, 0.125), the border mirrored in."""
    n, c, h, w = x.shape
    device = x.device
    rows = torch.arange(h, device=device)[None, :, None].expand(n, h, w)  # [n, h, w]: where each output
    cols = torch.arange(w, device=device)[None, None, :].expand(n, h, w)  # pixel reads, traced back
    if "xint" in groups:  # the last move applied is the first undone
        t = (torch.rand(n, 2, device=device) * 2 - 1) * XINT_MAX * chosen(n, p, device)[:, None]
        dx, dy = (t[:, 0] * w).round().long(), (t[:, 1] * h).round().long()
        rows, cols = mirrored_index(rows - dy[:, None, None], h), mirrored_index(cols - dx[:, None, None], w)
    if "rotate90" in groups:  # rot90 by k: out[i, j] = in[j, w-1-i], in[h-1-i, w-1-j], in[h-1-j, i] for k = 1, 2, 3
        k = (torch.randint(0, 4, (n,), device=device) * chosen(n, p, device))[:, None, None]
        turned_rows = torch.where(k == 1, cols, torch.where(k == 2, h - 1 - rows, torch.where(k == 3, h - 1 - cols, rows)))
        cols = torch.where(k == 1, w - 1 - rows, torch.where(k == 2, w - 1 - cols, torch.where(k == 3, rows, cols)))
        rows = turned_rows
    if "xflip" in groups:
        flip = chosen(n, p, device) & (torch.randint(0, 2, (n,), device=device) == 1)
        cols = torch.where(flip[:, None, None], w - 1 - cols, cols)
    source = (rows * w + cols).reshape(n, 1, h * w).expand(n, c, h * w)
    return x.reshape(n, c, h * w).gather(2, source).reshape(n, c, h, w)


# --- general geometry: one bilinear resampling of the images some group moved ----------------------

def scaling(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    m = torch.zeros(len(sx), 3, 3, dtype=sx.dtype, device=sx.device)
    m[:, 0, 0], m[:, 1, 1], m[:, 2, 2] = sx, sy, 1
    return m


def rotation(theta: torch.Tensor) -> torch.Tensor:
    m = scaling(theta.cos(), theta.cos())
    m[:, 0, 1], m[:, 1, 0] = -theta.sin(), theta.sin()
    return m


def translation(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    m = scaling(torch.ones_like(tx), torch.ones_like(tx))
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def sampling_matrix(groups: list[str], n: int, p: float, size: tuple[int, int],
                    device) -> tuple[torch.Tensor, torch.Tensor]:
    """(where each output pixel reads its input, as 3x3 matrices in pixels about the centre [n, 3, 3]; which
    images any group moved [n]): the inverses of scale, rotation, anisotropy, rotation, translation composed
    in that order. The rotation is drawn twice with probability 1 - sqrt(1 - p) each, so p is the chance of
    any rotation (the paper's rule)."""
    h, w = size
    inverse, moved = torch.eye(3, device=device).repeat(n, 1, 1), torch.zeros(n, dtype=torch.bool, device=device)

    def then(on: torch.Tensor, matrix: torch.Tensor) -> None:
        nonlocal inverse, moved
        inverse, moved = torch.where(on[:, None, None], inverse @ matrix, inverse), moved | on

    p_rotate = 1 - math.sqrt(max(0.0, 1 - p))
    for group in ("scale", "rotate", "aniso", "rotate", "xfrac"):
        if group not in groups:
            continue
        on = chosen(n, p_rotate if group == "rotate" else p, device)
        if group == "scale":
            s = 2 ** (torch.randn(n, device=device) * SCALE_STD)
            then(on, scaling(1 / s, 1 / s))
        elif group == "rotate":
            then(on, rotation(-(torch.rand(n, device=device) * 2 - 1) * math.pi * ROTATE_MAX))
        elif group == "aniso":
            s = 2 ** (torch.randn(n, device=device) * ANISO_STD)
            then(on, scaling(1 / s, s))
        else:
            t = torch.randn(n, 2, device=device) * XFRAC_STD
            then(on, translation(-t[:, 0] * w, -t[:, 1] * h))
    return inverse, moved


def general_geometry(x: torch.Tensor, p: float, groups: list[str]) -> torch.Tensor:
    """The moved images resampled bilinearly with the border mirrored in; the others untouched (exactly)."""
    n, c, h, w = x.shape
    inverse, moved = sampling_matrix(groups, n, p, (h, w), x.device)
    index = moved.nonzero().squeeze(1)
    if index.numel() == 0:
        return x
    to_pixels = scaling(torch.full((1,), w / 2, device=x.device), torch.full((1,), h / 2, device=x.device))
    theta = (torch.linalg.inv(to_pixels) @ inverse[index] @ to_pixels)[:, :2].to(x.dtype)  # affine_grid's [-1, 1]
    grid = F.affine_grid(theta, [len(index), c, h, w], align_corners=False)
    warped = F.grid_sample(x[index], grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return x.index_put((index,), warped.to(x.dtype))  # autocast runs grid_sample in float32
