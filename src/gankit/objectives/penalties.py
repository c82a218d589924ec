"""Penalties on the critic: pure functions of a network and inputs, returning per-sample values [N]."""
from __future__ import annotations

import torch
from torch import nn

from ..registry import Registry

PENALTIES: Registry = Registry("penalties")


def input_gradient_norm(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x)|| per sample [N], over all non-batch axes, differentiable (create_graph)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.flatten(1).norm(dim=1)


def interpolate(x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
    """eps x_r + (1 - eps) x_f with eps ~ U[0, 1] per sample, broadcast over the other axes."""
    eps = torch.rand(len(x_real), *([1] * (x_real.dim() - 1)), device=x_real.device)
    return eps * x_real + (1.0 - eps) * x_fake.detach()


def gradient_penalty(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, center: float = 1.0) -> torch.Tensor:
    """(||grad D(x_hat)|| - center)^2 on random interpolates (Gulrajani et al. 2017). [N]"""
    return (input_gradient_norm(D, interpolate(x_real, x_fake)) - center) ** 2


@PENALTIES.register("gp")
class GradientPenalty:
    """Two-sided WGAN-GP penalty, weight lambda (10 in the paper, 0.1 for the 2-D toys)."""

    name = "gp"

    def __init__(self, weight: float = 10.0, center: float = 1.0):
        self.weight, self.center = weight, center

    def __call__(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        return gradient_penalty(D, x_real, x_fake, self.center)
