"""Schedules: which phase runs when within one iteration. Objectives never know about them."""
from __future__ import annotations

from ..config import TrainConfig
from ..errors import ConfigError
from ..nn.spectral import has_batch_statistics
from ..objectives import Objective, Phase, names_with
from ..registry import Registry

SCHEDULES: Registry = Registry("schedules")


@SCHEDULES.register("alternating")
class Alternating:
    """Each phase in turn, critic phases n_critic times and generator phases n_generator times,
    each repeat on a fresh batch (docs/algorithms.md section 0)."""

    def __init__(self, cfg: TrainConfig):
        self.repeats = {"critic": cfg.n_critic, "generator": cfg.n_generator}

    def phases(self, objective: Objective) -> list[Phase]:
        return objective.phases()

    def plan(self, phases: list[Phase]) -> list[tuple[Phase, int]]:
        return [(phase, self.repeats[phase.role]) for phase in phases]


@SCHEDULES.register("simultaneous")
class Simultaneous:
    """One batch, one forward and one backward per iteration for all networks: the objective's phases combined
    into one loss by stop-gradients (Su's single-loss GAN, docs/algorithms.md section 10). Simultaneous gradient
    descent: D and G see the same parameters, as in 1:1 alternating training with the G step's D not yet updated."""

    def __init__(self, cfg: TrainConfig):
        if cfg.n_critic != 1 or cfg.n_generator != 1:
            raise ConfigError(f"train.schedule simultaneous updates every network once per iteration: it needs "
                              f"train.n_critic=1 and train.n_generator=1, not {cfg.n_critic} and {cfg.n_generator}")

    def phases(self, objective: Objective) -> list[Phase]:
        if not objective.capabilities.single_loss:
            raise ConfigError(f"train.schedule simultaneous: this objective has no single-loss form (objectives with "
                              f"one: {names_with(lambda c: c.single_loss)}); use train.schedule=alternating")
        phase = objective.single_loss_phase()
        critics = {n for p in objective.phases() if p.role == "critic" for n in p.networks}  # those scoring 3 batches
        batch_stats = [n for n in phase.networks if n in critics and has_batch_statistics(objective.nets[n])]
        if batch_stats:
            raise ConfigError(f"train.schedule simultaneous: network {batch_stats[0]} has BatchNorm, so its real, fake "
                              "and stopped-fake scores would see different batch statistics and the stop-gradient "
                              f"terms would not cancel; set model.{batch_stats[0]}.options.norm to layer or none")
        return [phase]

    def plan(self, phases: list[Phase]) -> list[tuple[Phase, int]]:
        return [(phase, 1) for phase in phases]
