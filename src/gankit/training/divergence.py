"""Divergence before NaN: a loss, gradient norm or weight norm far above its own running level.

Each watched quantity q keeps a running level L_q: an exponential average, in log space, of max(|q|, FLOOR)
(started at its first value). A value with max(|q|, FLOOR) > factor * L_q is an explosion. In log space a
sudden jump and a steady blow-up (any sustained growth above ~7 % per observation for factor 1000) both
trip it, where an average of |q| itself would follow a 10x-per-step blow-up forever. FLOOR keeps quantities
that start near zero (a WGAN critic loss) from tripping on ordinary growth. Levels only move on healthy
values and travel in every checkpoint, so a resumed run makes the same decisions as one never stopped."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import TrainingDiverged

FLOOR = 1.0    # levels below this count as 1: "1000x" of a loss of 1e-4 is not an explosion
DECAY = 0.99   # of the running log level, per observation


class Diverged(TrainingDiverged):
    """A watched quantity exploded; carries what, where and how much, for the trainer's policy."""

    def __init__(self, quantity: str, step: int, value: float, level: float, factor: float,
                 process: int | None = None):
        self.quantity, self.step, self.value, self.level, self.process = quantity, step, value, level, process
        super().__init__(f"{quantity}{where(process)} = {value:.3g} at step {step}, over {factor:g}x its running "
                         f"level {level:.3g}")


class NonFinite(Diverged):
    """A loss became NaN or infinite: handled as a divergence (stop, or roll back under train.on_divergence)."""

    def __init__(self, quantity: str, step: int, value: float, process: int | None = None):
        self.quantity, self.step, self.value, self.level, self.process = quantity, step, value, float("nan"), process
        TrainingDiverged.__init__(self, f"{quantity}{where(process)} became {value} at step {step}")


def where(process: int | None) -> str:
    """The process a failure happened on, for its message: nothing in a run of one process (None)."""
    return "" if process is None else f" on process {process}"


@torch.no_grad()
def phase_health(phase_name: str, losses: dict[str, torch.Tensor],
                 params: dict[str, list[nn.Parameter]]) -> dict[str, float]:
    """The quantities watched in one phase: its total loss, and the gradient and weight norms of the networks it
    updates (read after backward, before the step; `params`: each network's parameters). One fused kernel takes
    every tensor's norm and one read brings them to the host, where each group's norm is the norm of its tensors'
    norms (as clip_grad_norm_ takes it): a phase of a small network costs little more than its loss's read."""
    labels, sizes, tensors = [], [], []
    for name, group in params.items():
        grads = [p.grad for p in group if p.grad is not None]
        for label, members in ((f"grad_norm/{name}", grads), (f"weight_norm/{name}", group)):
            if members:
                labels.append(label)
                sizes.append(len(members))
                tensors.extend(members)
    norms = torch._foreach_norm(tensors) if tensors else []
    numbers = torch.stack([losses["total"].detach().float().reshape(()), *norms]).tolist()  # one sync; stack promotes
    out, start = {f"{phase_name}/total": numbers[0]}, 1
    for label, size in zip(labels, sizes):
        out[label] = math.sqrt(sum(v * v for v in numbers[start:start + size]))
        start += size
    return out


class DivergenceDetector:
    """Running log levels of watched quantities; observe() raises Diverged on an explosion. factor 0 disables it."""

    def __init__(self, factor: float):
        self.factor = factor
        self.levels: dict[str, float] = {}

    def observe(self, values: dict[str, float], step: int) -> None:
        if not self.factor:
            return
        names, numbers = list(values), list(values.values())
        logs = [math.log(max(abs(v), FLOOR)) if math.isfinite(v) else None for v in numbers]  # NaN: not ours
        for name, value, log in zip(names, numbers, logs):
            level = self.levels.get(name)
            if level is not None and log is not None and log - level > math.log(self.factor):
                raise Diverged(name, step, value, math.exp(level), self.factor)
        for name, log in zip(names, logs):
            if log is not None:
                level = self.levels.get(name)
                self.levels[name] = log if level is None else DECAY * level + (1 - DECAY) * log

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: torch.tensor(level, dtype=torch.float64) for name, level in self.levels.items()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        self.levels = {name: float(value) for name, value in tensors.items()}
