"""Paths through latent space: linear and spherical interpolation (Shoemake 1985; White 2016 for GANs)."""
from __future__ import annotations

import torch

from .errors import ConfigError

MODES = ("slerp", "linear")


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation [T, D] between vectors a and b [D] at fractions t [T]; linear where a and b
    are (anti)parallel, when the great circle is undefined."""
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(torch.sin(omega)) < 1e-6:
        return lerp(a, b, t)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return a + t[:, None] * (b - a)


def interpolation_rows(starts: torch.Tensor, ends: torch.Tensor, steps: int, mode: str) -> torch.Tensor:
    """[rows * steps, D]: for each (start, end) pair, `steps` points from start to end inclusive."""
    if mode not in MODES:
        raise ConfigError(f"interpolation mode {mode!r}: choose from {', '.join(MODES)}")
    t = torch.linspace(0.0, 1.0, steps)
    path = slerp if mode == "slerp" else lerp
    return torch.cat([path(a, b, t) for a, b in zip(starts, ends)])
