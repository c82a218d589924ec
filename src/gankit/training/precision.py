"""Mixed precision (train.precision): fp32, or bf16 / fp16 by autocast, with a GradScaler for fp16.

Losses are computed under autocast and differentiated outside it, as PyTorch's AMP recipe says. Gradient
penalties differentiate the critic twice; bf16 keeps fp32's exponent range, so their inner gradient stays
under autocast, while under fp16 a penalty's inner gradient would underflow unscaled, so penalties leave
autocast there (`penalty_precision`) and run in fp32.
"""
from __future__ import annotations

import contextlib

import torch

from ..errors import ConfigError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def check_precision(name: str) -> None:
    if name not in PRECISIONS:
        raise ConfigError(f"config field train.precision: {name!r}; choose from {', '.join(PRECISIONS)}")


class Precision:
    """autocast() around a loss, backward(loss), step(optimizer) then update() once per phase."""

    def __init__(self, name: str, device: torch.device):
        check_precision(name)
        self.name, self.dtype, self.device_type = name, PRECISIONS[name], torch.device(device).type
        self.scaler = torch.amp.GradScaler(self.device_type) if name == "fp16" else None

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, inputs: list[torch.Tensor]) -> None:
        """Gradients of loss for `inputs` only: autograd prunes every other branch (a penalty's input points)."""
        (self.scaler.scale(loss) if self.scaler else loss).backward(inputs=inputs)

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Divides the optimizer's gradients by the loss scale (fp16), so that what runs between backward
        and step (gradient clipping, transforms) sees true gradients; step() then does not unscale again."""
        if self.scaler:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Steps the optimizer (fp16: on unscaled gradients, skipped when they hold inf or NaN)."""
        if self.scaler:
            self.scaler.step(optimizer)
        else:
            optimizer.step()

    def update(self) -> None:
        if self.scaler:
            self.scaler.update()

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The loss scale and its growth counter, for exact resume (nothing outside fp16)."""
        if not self.scaler or self.scaler._scale is None:
            return {}
        return {"precision.scale": self.scaler._scale.detach().cpu().clone(),
                "precision.growth_tracker": self.scaler._growth_tracker.detach().cpu().clone()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        if self.scaler and "precision.scale" in tensors:
            self.scaler.load_state_dict({"scale": float(tensors["precision.scale"]), "growth_factor": 2.0,
                                         "backoff_factor": 0.5, "growth_interval": 2000,
                                         "_growth_tracker": int(tensors["precision.growth_tracker"])})
