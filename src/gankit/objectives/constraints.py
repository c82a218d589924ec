"""Constraints: changes to a module applied after each optimizer step of that module."""
from __future__ import annotations

import torch
from torch import nn

from ..registry import Registry

CONSTRAINTS: Registry = Registry("constraints")


@CONSTRAINTS.register("weight-clip")
class WeightClip:
    """Clamps every parameter entry into [-value, value] (Arjovsky et al. 2017; c = 0.01)."""

    def __init__(self, value: float = 0.01):
        self.value = value

    @torch.no_grad()
    def __call__(self, module: nn.Module) -> None:
        for p in module.parameters():
            p.clamp_(-self.value, self.value)
