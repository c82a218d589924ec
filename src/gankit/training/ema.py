"""Exponential moving average of a network's weights (Polyak averaging; docs/algorithms.md section 18)."""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """theta_bar <- m_t theta_bar + (1 - m_t) theta after every step, with the warm-up
    m_t = min(decay, (1 + t) / (10 + t)) so that early averages do not drag the initial weights along.
    Floating buffers (BN statistics) are averaged the same way, integer buffers copied."""

    def __init__(self, module: nn.Module, decay: float):
        self.decay = decay
        self.num_updates = 0
        self.module = copy.deepcopy(module).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        weight = 1.0 - self.current_decay()
        self.num_updates += 1
        averages, current = list(self.module.parameters()), list(module.parameters())
        if averages:  # one fused call (it refuses empty lists)
            torch._foreach_lerp_(averages, current, weight)
        for avg, b in zip(self.module.buffers(), module.buffers()):
            if avg.is_floating_point():
                avg.lerp_(b, weight)
            else:
                avg.copy_(b)


def ema_keys(name: str) -> tuple[str, str]:
    """Checkpoint keys of a network's EMA copy: (prefix of its tensors, its update counter); G keeps the
    names it had before encoders existed, so older checkpoints still load."""
    return ("ema.", "ema_updates") if name == "G" else (f"ema_{name}.", f"ema_{name}_updates")
