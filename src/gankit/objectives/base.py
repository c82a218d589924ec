"""Objective = the networks an algorithm needs + its phases. Objectives compute; the trainer steps."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..registry import Registry

OBJECTIVES: Registry = Registry("objectives")

Losses = dict[str, torch.Tensor]  # always holds "total", the scalar the trainer differentiates


@dataclass
class Batch:
    x: torch.Tensor             # real samples [N, *shape]
    y: torch.Tensor | None      # labels [N], or None
    z: torch.Tensor             # latent codes [N, z_dim]
    phase_step: int = 0         # how many times this phase ran before (lazy penalties count with it)


@dataclass(frozen=True)
class Phase:
    name: str                   # shown in logs, e.g. "D" or "G"
    networks: tuple[str, ...]   # the networks whose optimizers step after this phase's backward
    role: str                   # "critic" or "generator": the schedule decides how often each runs
    loss: Callable[[Batch], Losses]


class Objective(nn.Module, ABC):
    """Holds the networks by name (G, D, ...) and the penalties on the critic."""

    needs: dict[str, str] = {}  # network name -> "generator" | "discriminator": what build_objective makes

    def __init__(self, networks: dict[str, nn.Module], penalties: list, z_dim: int):
        super().__init__()
        self.nets = nn.ModuleDict(networks)
        self.penalties = penalties
        self.z_dim = z_dim

    @abstractmethod
    def phases(self) -> list[Phase]:
        """The phases of one iteration, in order."""

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """z ~ N(0, I) [n, z_dim]."""
        return torch.randn(n, self.z_dim, generator=generator).to(device)

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """The critic's scalar field [N] at x, drawn as the energy landscape of 2-D runs. In eval mode, so
        that looking at the critic never moves its state (spectral norm's power iteration, BN statistics)."""
        D = self.nets["D"]
        was_training = D.training
        D.eval()
        try:
            return D(x)
        finally:
            D.train(was_training)

    def penalty_terms(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, phase_step: int) -> Losses:
        """Each penalty due at this step, weighted and averaged over the batch, under its own name."""
        return {p.name: p.term(D, x_real, x_fake) for p in self.penalties if p.applies(phase_step)}


def with_total(terms: Losses, **diagnostics: torch.Tensor) -> Losses:
    """terms + their sum as "total"; diagnostics are logged but not differentiated."""
    out = dict(terms)
    out["total"] = sum(terms.values())
    out.update({k: v.detach() for k, v in diagnostics.items()})
    return out
