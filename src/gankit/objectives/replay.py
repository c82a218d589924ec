"""The replay buffer of IGEBM (Du & Mordatch 2019, docs/algorithms.md section 12): Langevin chains restart from
earlier chains' final states, and from fresh noise with a small probability."""
from __future__ import annotations

import torch

from ..errors import CheckpointError


class ReplayBuffer:
    """Up to `capacity` samples, the oldest overwritten first (IGEBM's FIFO). Draws use the global RNG, which
    the checkpoint holds, so a resumed run draws what the uninterrupted one would have."""

    def __init__(self, capacity: int, reinit_prob: float):
        self.capacity, self.reinit_prob = capacity, reinit_prob
        self.states: torch.Tensor | None = None  # [capacity, *shape], allocated on the first push
        self.size = 0       # filled rows
        self.position = 0   # the next row to overwrite

    def draw(self, fresh: torch.Tensor) -> torch.Tensor:
        """Starting states for len(fresh) chains: stored states, each replaced by its row of `fresh` noise
        with probability reinit_prob (all of `fresh` while the buffer is empty)."""
        n = len(fresh)
        if self.size == 0:
            return fresh
        index = torch.randint(self.size, (n,))
        restart = (torch.rand(n) < self.reinit_prob).to(fresh.device).view(-1, *[1] * (fresh.dim() - 1))
        return torch.where(restart, fresh, self.states[index.to(self.states.device)])

    @torch.no_grad()
    def push(self, x: torch.Tensor) -> None:
        """Stores the chains' final states x [N, *shape]."""
        if self.states is None:
            self.states = torch.empty(self.capacity, *x.shape[1:], dtype=x.dtype, device=x.device)
        x = x.detach()[-self.capacity:]
        rows = (self.position + torch.arange(len(x), device=x.device)) % self.capacity
        self.states[rows] = x
        self.position = int((self.position + len(x)) % self.capacity)
        self.size = min(self.size + len(x), self.capacity)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n stored states chosen uniformly (without replacement while n <= size) [n, *shape]."""
        if self.size == 0:
            raise CheckpointError("the replay buffer is empty: this run has not trained yet")
        order = torch.randperm(self.size, generator=generator)
        index = order[:n] if n <= self.size else torch.randint(self.size, (n,), generator=generator)
        return self.states[index.to(self.states.device)]

    def state(self) -> dict[str, torch.Tensor]:
        if self.states is None:
            return {}
        return {"states": self.states[: self.size].clone(), "position": torch.tensor(self.position)}

    def load_state(self, tensors: dict[str, torch.Tensor], device) -> None:
        if "states" not in tensors:
            self.states, self.size, self.position = None, 0, 0
            return
        saved = tensors["states"].to(device)
        if len(saved) > self.capacity:
            raise CheckpointError(f"the checkpoint's replay buffer holds {len(saved)} states, more than "
                                  f"objective.options.buffer_size = {self.capacity}")
        self.states = torch.empty(self.capacity, *saved.shape[1:], dtype=saved.dtype, device=device)
        self.states[: len(saved)] = saved
        self.size, self.position = len(saved), int(tensors["position"])
