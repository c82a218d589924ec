"""Differentiable augmentation of everything the critic sees (DiffAugment, Zhao et al. 2020): colour,
translation and cutout, drawn afresh per sample with the global RNG (so exact resume holds), applied to real
and generated images alike, in both phases, and differentiable so G learns through it. It is attached to the
critic as a forward pre-hook active in training mode only: no objective and no trainer code changes, and
evaluation (critic landscapes, gankit inspect) sees the critic without it."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

TRANSLATE_FRACTION = 8  # shifts of up to 1/8 of the side, in whole pixels
CUTOUT_FRACTION = 2     # a square of half the side, zeroed


def _per_sample(x: torch.Tensor) -> torch.Tensor:
    return torch.rand(len(x), 1, 1, 1, dtype=x.dtype, device=x.device)


def color(x: torch.Tensor) -> torch.Tensor:
    """Brightness + U(-0.5, 0.5), saturation x U(0, 2) about the pixel's channel mean, contrast x U(0.5, 1.5)
    about the image mean."""
    x = x + (_per_sample(x) - 0.5)
    mean = x.mean(1, keepdim=True)
    x = (x - mean) * (2 * _per_sample(x)) + mean
    mean = x.mean((1, 2, 3), keepdim=True)
    return (x - mean) * (_per_sample(x) + 0.5) + mean


def translation(x: torch.Tensor) -> torch.Tensor:
    """Shifts each image by whole pixels in [-side/8, side/8] per axis, filling with zeros."""
    n, _, h, w = x.shape
    sy, sx = h // TRANSLATE_FRACTION, w // TRANSLATE_FRACTION
    dy = torch.randint(-sy, sy + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-sx, sx + 1, (n, 1, 1), device=x.device)
    padded = F.pad(x, (sx, sx, sy, sy))  # [n, c, h + 2 sy, w + 2 sx]
    rows = torch.arange(h, device=x.device)[None, :, None] + dy + sy  # [n, h, 1]
    cols = torch.arange(w, device=x.device)[None, None, :] + dx + sx  # [n, 1, w]
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)  # [n, c, h, w]


def cutout(x: torch.Tensor) -> torch.Tensor:
    """Zeroes a square of half the side centred anywhere in the image (it may stick out of the border)."""
    n, _, h, w = x.shape
    size_y, size_x = h // CUTOUT_FRACTION, w // CUTOUT_FRACTION
    top = torch.randint(0, h, (n, 1, 1), device=x.device) - size_y // 2
    left = torch.randint(0, w, (n, 1, 1), device=x.device) - size_x // 2
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)  # [n, h, w]
    return x * (~inside)[:, None].to(x.dtype)


AUGMENTATIONS = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str) -> list[str]:
    names = [p.strip() for p in policy.split(",") if p.strip()]
    for name in names:
        if name not in AUGMENTATIONS:
            raise ConfigError(f"augment: unknown augmentation {name!r}; choose from {', '.join(AUGMENTATIONS)}")
    return names


def diffaugment(x: torch.Tensor, names: list[str]) -> torch.Tensor:
    """x [N, C, H, W] through each named augmentation in order."""
    for name in names:
        x = AUGMENTATIONS[name](x)
    return x


def attach_diffaugment(critic: nn.Module | None, policy: str, is_image: bool) -> None:
    """Makes `critic` augment its first input in training mode; '' leaves it alone."""
    names = parse_policy(policy)
    if not names:
        return
    if critic is None:
        raise ConfigError("augment: this objective has no critic to augment the inputs of")
    if not is_image:
        raise ConfigError("augment: DiffAugment transforms images; this dataset gives vectors")

    def augment_inputs(module: nn.Module, args: tuple):
        if not module.training:
            return None
        return (diffaugment(args[0], names), *args[1:])

    critic.register_forward_pre_hook(augment_inputs)
