"""Schedules: which phase runs when within one iteration. Objectives never know about them."""
from __future__ import annotations

from ..config import TrainConfig
from ..objectives import Phase
from ..registry import Registry

SCHEDULES: Registry = Registry("schedules")


@SCHEDULES.register("alternating")
class Alternating:
    """Each phase in turn, critic phases n_critic times and generator phases n_generator times,
    each repeat on a fresh batch (algorithms.md section 0)."""

    def __init__(self, cfg: TrainConfig):
        self.repeats = {"critic": cfg.n_critic, "generator": cfg.n_generator}

    def plan(self, phases: list[Phase]) -> list[tuple[Phase, int]]:
        return [(phase, self.repeats[phase.role]) for phase in phases]
