"""Divergence before NaN: a loss, gradient norm or weight norm far above its own running level.

Each watched quantity q keeps a running level L_q, an exponential average of |q| (started at its first value).
A value |q| > factor * max(L_q, FLOOR) is an explosion; FLOOR keeps quantities that start near zero (a WGAN
critic loss) from tripping on ordinary growth. Levels only move on healthy values and travel in every
checkpoint, so a resumed run makes the same decisions as one never stopped."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import get_total_norm

from ..errors import TrainingDiverged

FLOOR = 1.0    # levels below this count as 1: "1000x" of a loss of 1e-4 is not an explosion
DECAY = 0.99   # of the running level, per observation


class Diverged(TrainingDiverged):
    """A watched quantity exploded; carries what, where and how much, for the trainer's policy."""

    def __init__(self, quantity: str, step: int, value: float, level: float, factor: float):
        self.quantity, self.step, self.value, self.level = quantity, step, value, level
        super().__init__(f"{quantity} = {value:.3g} at step {step}, over {factor:g}x its running level {level:.3g}")


def phase_health(phase_name: str, losses: dict[str, torch.Tensor], nets: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """The quantities watched in one phase, as 0-d tensors: its total loss, and the gradient and weight norms
    of the networks it updates (read after backward, before the step)."""
    out = {f"{phase_name}/total": losses["total"].detach()}
    for name, net in nets.items():
        params = [p for p in net.parameters() if p.requires_grad]
        grads = [p.grad for p in params if p.grad is not None]
        if grads:
            out[f"grad_norm/{name}"] = get_total_norm(grads)
        out[f"weight_norm/{name}"] = get_total_norm([p.detach() for p in params])
    return out


class DivergenceDetector:
    """Running levels of watched quantities; observe() raises Diverged on an explosion. factor 0 disables it."""

    def __init__(self, factor: float):
        self.factor = factor
        self.levels: dict[str, float] = {}

    def observe(self, values: dict[str, torch.Tensor], step: int) -> None:
        if not self.factor:
            return
        names = list(values)
        numbers = torch.stack([v.float().cpu() for v in values.values()]).tolist()  # one sync per phase
        for name, value in zip(names, numbers):
            size = abs(value)
            level = self.levels.get(name)
            if level is not None and math.isfinite(size) and size > self.factor * max(level, FLOOR):
                raise Diverged(name, step, value, level, self.factor)
        for name, value in zip(names, numbers):
            if math.isfinite(value):  # non-finite losses are the NaN check's business
                level = self.levels.get(name)
                self.levels[name] = abs(value) if level is None else DECAY * level + (1 - DECAY) * abs(value)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: torch.tensor(level, dtype=torch.float64) for name, level in self.levels.items()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        self.levels = {name: float(value) for name, value in tensors.items()}
