"""ReLU and LeakyReLU whose slope can be recorded as a constant, so that a double backward (a gradient
penalty) does not walk back through the forward pass.

PyTorch records the derivative of relu'(x) with respect to x as a tensor of zeros, and autograd carries those
zeros back through every layer below: on the ring8 WGAN-GP critic, 5 of its 30 matrix products per step
multiply zeros. Inside `constant_slopes()` these modules compute the same values and the same first
derivatives, with the slope (1 or the negative slope, a function of sign(x) only) recorded as a constant, which
it is wherever the derivative exists. With infinite values inside the critic the two may differ in which
gradients are NaN (the native zeros times inf); the trainer stops such a step at its non-finite loss anyway.

How, without an autograd Function: relu(x) is relu's own backward kernel applied to x as the incoming
gradient, threshold_backward(x, sg(x), 0) (x where x > 0, else 0: relu's values, NaN included), and the same
for LeakyReLU with leaky_relu_backward. Autograd differentiates that kernel with respect to its gradient
argument by the same kernel and the same stopped mask, to any order, and never with respect to the stopped
mask. Every node is native (so torch.func and forward-mode AD work too): a Python Function's bookkeeping cost a
ring8 WGAN-GP iteration about 3 %. The price: the ReLU node keeps x for its mask where relu keeps its output, one
more activation-sized tensor per ReLU layer while a penalty's graph lives (LeakyReLU keeps x natively anyway);
relu(-0.0) comes out +0.0, an equal number."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
from torch import nn


class _Mode(threading.local):
    constant = False  # per thread: the painter thread may score a critic while training runs


_MODE = _Mode()


@contextmanager
def constant_slopes():
    """Within it, gankit's ReLU and LeakyReLU record slope(sign(x)) as a constant (used around the critic
    evaluation whose input gradient a penalty differentiates again)."""
    previous, _MODE.constant = _MODE.constant, True
    try:
        yield
    finally:
        _MODE.constant = previous


def constant_slope_relu(x: torch.Tensor) -> torch.Tensor:
    """relu(x) with its derivative's mask x > 0 recorded as a constant (module docstring)."""
    return torch.ops.aten.threshold_backward(x, x.detach(), 0)


def constant_slope_leaky_relu(x: torch.Tensor, slope: float) -> torch.Tensor:
    """leaky_relu(x, slope) with its derivative's slope recorded as a constant (module docstring)."""
    return torch.ops.aten.leaky_relu_backward(x, x.detach(), slope, False)


class ReLU(nn.ReLU):
    """nn.ReLU; under constant_slopes(), constant_slope_relu: the same values and first derivative, NaN
    included. Not where(x <= 0, 0, x) or x * (x > 0), which spare the same walk but cost more in their own
    kernels than it saves."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _MODE.constant:
            return constant_slope_relu(x)
        return super().forward(x)


class LeakyReLU(nn.LeakyReLU):
    """nn.LeakyReLU; under constant_slopes(), constant_slope_leaky_relu: the same values and first derivative."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _MODE.constant:
            return constant_slope_leaky_relu(x, self.negative_slope)
        return super().forward(x)
