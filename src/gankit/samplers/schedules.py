"""Annealing schedules: one value per sampler step, for step_size / noise_scale of the samplers."""
from __future__ import annotations

import math

from ..errors import ConfigError
from ..registry import Registry

ANNEALING: Registry = Registry("annealings")


@ANNEALING.register("constant")
def constant(start: float, end: float, steps: int) -> list[float]:
    """start at every step (end is ignored)."""
    return [float(start)] * steps


@ANNEALING.register("linear")
def linear(start: float, end: float, steps: int) -> list[float]:
    """start to end in equal differences."""
    return [start + (end - start) * i / max(steps - 1, 1) for i in range(steps)]


@ANNEALING.register("geometric")
def geometric(start: float, end: float, steps: int) -> list[float]:
    """start to end in equal ratios (both > 0): annealed Langevin's usual decay (Song & Ermon 2019)."""
    if start <= 0 or end <= 0:
        raise ConfigError(f"geometric schedule needs start and end > 0, got {start}, {end}")
    return [start * math.exp(math.log(end / start) * i / max(steps - 1, 1)) for i in range(steps)]


@ANNEALING.register("cosine")
def cosine(start: float, end: float, steps: int) -> list[float]:
    """start to end along half a cosine: slow at both ends."""
    return [end + (start - end) * 0.5 * (1 + math.cos(math.pi * i / max(steps - 1, 1))) for i in range(steps)]


def anneal(kind: str, start: float, end: float, steps: int) -> list[float]:
    """The schedule `kind` (constant, linear, geometric, cosine) as `steps` values."""
    return ANNEALING.get(kind)(start, end, steps)
