"""Gradient transforms: per-parameter gradient manipulation applied by the trainer between backward() and the
optimizer's step (docs/algorithms.md section 18); objectives never call them. Each acts in place on the .grad of
the parameters its config pattern selected."""
from __future__ import annotations

import torch

from ..registry import Registry

GRADIENT_TRANSFORMS: Registry = Registry("gradient-transforms")


def _grads(params: list[torch.Tensor]) -> list[torch.Tensor]:
    return [p.grad for p in params if p.grad is not None]


@GRADIENT_TRANSFORMS.register("scale")
class Scale:
    """grad <- factor * grad (a per-layer step size that, unlike lr_scale, Adam normalises away; SGD keeps it)."""

    def __init__(self, factor: float = 1.0):
        self.factor = factor

    def __call__(self, params: list[torch.Tensor]) -> None:
        for g in _grads(params):
            g.mul_(self.factor)


@GRADIENT_TRANSFORMS.register("freeze")
class Freeze:
    """Drops the gradient (grad <- None): the optimizer skips these parameters entirely, so neither momentum nor
    weight decay moves them."""

    def __call__(self, params: list[torch.Tensor]) -> None:
        for p in params:
            p.grad = None


@GRADIENT_TRANSFORMS.register("clip-value")
class ClipValue:
    """Every gradient entry clamped to [-value, value]."""

    def __init__(self, value: float = 1.0):
        self.value = value

    def __call__(self, params: list[torch.Tensor]) -> None:
        torch.nn.utils.clip_grad_value_(params, self.value)


@GRADIENT_TRANSFORMS.register("clip-norm")
class ClipNorm:
    """The selected gradients rescaled together so that their total L2 norm is at most max_norm."""

    def __init__(self, max_norm: float = 1.0):
        self.max_norm = max_norm

    def __call__(self, params: list[torch.Tensor]) -> None:
        torch.nn.utils.clip_grad_norm_(params, self.max_norm)
