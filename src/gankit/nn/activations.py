"""ReLU and LeakyReLU whose slope can be recorded as a constant, so that a double backward (a gradient
penalty) does not walk back through the forward pass.

PyTorch records the derivative of relu'(x) with respect to x as a tensor of zeros, and autograd carries those
zeros back through every layer below: on the ring8 WGAN-GP critic, 5 of its 30 matrix products per step
multiply zeros. Inside `constant_slopes()` these modules compute the same values and the same first
derivatives, with the slope (1 or the negative slope, a function of sign(x) only) recorded as a constant, which
it is wherever the derivative exists. With infinite values inside the critic the two may differ in which
gradients are NaN (the native zeros times inf); the trainer stops such a step at its non-finite loss anyway.
The custom Functions define no jvp or vmap rule: forward-mode AD and torch.func belong outside the mode."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
import torch.nn.functional as F
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


class ReLU(nn.ReLU):
    """nn.ReLU; under constant_slopes(), relu's own kernels (relu and threshold_backward) with a derivative that
    takes the mask x > 0 as a constant: the same values and first derivative, NaN included. Not where(x <= 0, 0,
    x), which spares the same walk but costs a fifth of a ring8 WGAN-GP iteration in where's own kernels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _MODE.constant:
            return _ConstantSlopeReLU.apply(x)
        return super().forward(x)


class _ConstantSlopeReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(x)
        ctx.save_for_backward(out)  # relu's own backward reads its output too: zero where out <= 0 (NaN passes)
        ctx.set_materialize_grads(False)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor | None):
        if grad is None:
            return None
        (out,) = ctx.saved_tensors
        return _mask_times(grad, out.detach())  # detached: no edge back to the forward pass


class _MaskTimes(torch.autograd.Function):
    """grad, zeroed where out <= 0 (NaN passes, as in relu's backward): linear in grad; out is only read for its
    sign, so no gradient flows to it."""

    @staticmethod
    def forward(ctx, grad: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(out)
        ctx.set_materialize_grads(False)
        return torch.ops.aten.threshold_backward(grad, out, 0)

    @staticmethod
    def backward(ctx, grad_grad: torch.Tensor | None):
        if grad_grad is None:
            return None, None
        (out,) = ctx.saved_tensors
        return _mask_times(grad_grad, out), None


def _mask_times(grad: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """_MaskTimes where a graph is being recorded (a backward with create_graph), else its kernel alone: the
    Function's bookkeeping costs as much as the kernel on a ring8 critic's layers."""
    if torch.is_grad_enabled():
        return _MaskTimes.apply(grad, out)
    return torch.ops.aten.threshold_backward(grad, out, 0)


class LeakyReLU(nn.LeakyReLU):
    """nn.LeakyReLU; under constant_slopes(), the same kernels (leaky_relu and its backward) with a derivative
    that takes the slope as a constant. Not where(x > 0, x, slope * x): on a wide first layer (the digits
    critic) its extra elementwise passes cost more than the walk they spare."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _MODE.constant:
            return _ConstantSlopeLeakyReLU.apply(x, self.negative_slope)
        return super().forward(x)


class _ConstantSlopeLeakyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope
        ctx.set_materialize_grads(False)  # a layer above may send no gradient (None): pass it on, not zeros
        return F.leaky_relu(x, slope)

    @staticmethod
    def backward(ctx, grad: torch.Tensor | None):
        if grad is None:
            return None, None
        (x,) = ctx.saved_tensors
        return _slope_times(grad, x.detach(), ctx.slope), None  # detached: no edge back to the forward pass


class _SlopeTimes(torch.autograd.Function):
    """grad * slope(x), linear in grad; x is only read for its sign, so no gradient flows to it."""

    @staticmethod
    def forward(ctx, grad: torch.Tensor, x: torch.Tensor, slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope
        ctx.set_materialize_grads(False)
        return torch.ops.aten.leaky_relu_backward(grad, x, slope, False)

    @staticmethod
    def backward(ctx, grad_grad: torch.Tensor | None):
        if grad_grad is None:
            return None, None, None
        (x,) = ctx.saved_tensors
        return _slope_times(grad_grad, x, ctx.slope), None, None


def _slope_times(grad: torch.Tensor, x: torch.Tensor, slope: float) -> torch.Tensor:
    """_SlopeTimes where a graph is being recorded, else its kernel alone (as _mask_times)."""
    if torch.is_grad_enabled():
        return _SlopeTimes.apply(grad, x, slope)
    return torch.ops.aten.leaky_relu_backward(grad, x, slope, False)
