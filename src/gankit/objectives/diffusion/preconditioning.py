"""EDM's preconditioned denoiser and its training loss (Karras et al. 2022, arXiv 2206.00364, Table 1 and eq. 8;
docs/algorithms.md section 20), shared by the `edm` teacher and the `sid` student's networks."""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from ...errors import DataError

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def per_sample(sigma: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """sigma [N] shaped to broadcast over like [N, ...]."""
    return sigma.reshape(-1, *[1] * (like.dim() - 1)).to(like.dtype)


def preconditioned(F: nn.Module | Callable, sigma_data: float) -> Denoiser:
    """D(x; sigma) = c_skip x + c_out F(c_in x, c_noise) with c_skip = sigma_data^2 / (sigma^2 + sigma_data^2),
    c_out = sigma sigma_data / sqrt(sigma^2 + sigma_data^2), c_in = 1 / sqrt(sigma^2 + sigma_data^2),
    c_noise = ln(sigma) / 4 (Table 1)."""
    def D(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        s = per_sample(sigma, x)
        root = (s**2 + sigma_data**2).sqrt()
        return sigma_data**2 / root**2 * x + s * sigma_data / root * F(x / root, sigma.log() / 4)
    return D


def denoising_loss(D: Denoiser, x: torch.Tensor, sigma_data: float, p_mean: float, p_std: float) -> torch.Tensor:
    """lambda(sigma) |D(x + sigma n; sigma) - x|^2 per sample [N], averaged over the data's dimensions, with
    ln sigma ~ N(p_mean, p_std^2), n ~ N(0, I) and lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 (eq. 8
    with Table 1's training distribution and weight; EDM sums over the dimensions, a constant factor)."""
    sigma = (p_mean + p_std * torch.randn(len(x), device=x.device)).exp()  # [N]
    weight = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    noisy = x + per_sample(sigma, x) * torch.randn_like(x)
    return weight * (D(noisy, sigma) - x).flatten(1).pow(2).mean(1)


def measured_sigma_data(x: torch.Tensor) -> float:
    """The standard deviation of every value of the items x, EDM's sigma_data (0.5 for its images, by design)."""
    value = float(x.double().std())
    if not (math.isfinite(value) and value > 0):
        raise DataError(f"the training data's standard deviation is {value}: EDM's sigma_data must be > 0")
    return value
