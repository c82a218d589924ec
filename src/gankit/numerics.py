"""Small numerics shared by objectives, samplers and the trainer; the ground floor (imports no gankit module)."""
from __future__ import annotations

import contextlib

import torch


def penalty_precision(x: torch.Tensor):
    """The precision a gradient penalty runs in: the surrounding autocast, except fp16, where it leaves
    autocast for fp32 (an unscaled inner gradient in fp16 underflows)."""
    device_type = x.device.type
    if torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == torch.float16:
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


def normalize(v: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """N(v) = (v - avg v) / std v over the last axis (population std), per sample (Su's O-GAN)."""
    centred = v - v.mean(-1, keepdim=True)
    return centred / (centred.pow(2).mean(-1, keepdim=True).sqrt() + eps)


def pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation rho(a_i, b_i) over the coordinates of each sample [N] = cos(N(a), N(b))."""
    return (normalize(a) * normalize(b)).mean(-1)
