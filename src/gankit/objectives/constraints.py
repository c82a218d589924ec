"""Constraints on a network: `attach` changes it once when it is built (a reparametrization), and calling
the constraint re-imposes it after each optimizer step of that network (a projection)."""
from __future__ import annotations

import torch
from torch import nn

from ..domains import POSITIVE, integers
from ..nn.spectral import apply_spectral_norm
from ..registry import Registry

CONSTRAINTS: Registry = Registry("constraints")


class Constraint:
    def attach(self, module: nn.Module) -> None:
        """Called once, before the optimizer and the EMA copy are made."""

    def __call__(self, module: nn.Module) -> None:
        """Called after each optimizer step of the module."""


@CONSTRAINTS.register("weight-clip")
class WeightClip(Constraint):
    """Clamps every parameter entry into [-value, value] (Arjovsky et al. 2017; c = 0.01)."""
    option_domains = {"value": POSITIVE}  # read by registry.check_options

    def __init__(self, value: float = 0.01):
        self.value = value

    @torch.no_grad()
    def __call__(self, module: nn.Module) -> None:
        for p in module.parameters():
            p.clamp_(-self.value, self.value)


@CONSTRAINTS.register("frobenius-clip")
class FrobeniusClip(Constraint):
    """Rescales each weight matrix (every parameter with 2 or more axes) to Frobenius norm <= value; since
    sigma_max <= ||W||_F this bounds each layer's Lipschitz constant (docs/algorithms.md section 5)."""
    option_domains = {"value": POSITIVE}  # read by registry.check_options

    def __init__(self, value: float = 1.0):
        self.value = value

    @torch.no_grad()
    def __call__(self, module: nn.Module) -> None:
        for p in module.parameters():
            if p.dim() >= 2:
                p.mul_(torch.clamp(self.value / p.norm().clamp_min(1e-12), max=1.0))


@CONSTRAINTS.register("spectral-norm")
class SpectralNorm(Constraint):
    """W -> W / sigma(W) on every linear, conv and embedding layer, one power iteration per training forward
    (Miyato et al. 2018), through torch.nn.utils.parametrizations.spectral_norm."""
    option_domains = {"n_power_iterations": integers(1, 100)}  # read by registry.check_options

    def __init__(self, n_power_iterations: int = 1):
        self.n_power_iterations = n_power_iterations

    def attach(self, module: nn.Module) -> None:
        apply_spectral_norm(module, self.n_power_iterations)
