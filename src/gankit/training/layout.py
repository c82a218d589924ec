"""train.channels_last: the networks' 4-D weights and every 4-D image batch in channels-last (NHWC) memory
order, which CPU and GPU convolution kernels run faster. Only the memory order changes, not the values, so
losses and updates agree with the default layout up to float rounding (kernels may sum in another order)."""
from __future__ import annotations

import torch
from torch import nn


def to_channels_last(nets: nn.Module) -> None:
    """The networks' 4-D parameters and buffers in channels-last order, in place (the Parameter objects stay,
    so optimizers built before or after hold the same ones)."""
    nets.to(memory_format=torch.channels_last)


def batch_layout(x: torch.Tensor | None, channels_last: bool) -> torch.Tensor | None:
    """An image batch [N, C, H, W] in channels-last order when asked; anything else as it is."""
    if channels_last and x is not None and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def match_layout(optimizer: torch.optim.Optimizer) -> None:
    """Optimizer state (Adam's moments) in its parameter's memory order. A checkpoint stores them contiguous,
    and torch's fused Adam pairs the entries of a parameter and its moments by memory position, so a
    channels-last parameter with a contiguous moment would be updated with the wrong entries."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.shape == p.shape and value.stride() != p.stride():
                    state[key] = torch.empty_like(p, dtype=value.dtype).copy_(value)
