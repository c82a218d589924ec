"""Gradient accumulation (train.accumulate = k): a phase's batch split into k micro-batches, each micro-loss
scaled by 1/k and its gradients summed, then one optimizer step. For a loss that is a mean of per-sample
terms this is the gradient of the whole batch's loss, so the update is the batch's (up to float rounding),
with a k-th of the activation memory. Networks whose outputs depend on the rest of the batch (BatchNorm,
minibatch standard deviation) see micro-batch statistics instead, so they are refused."""
from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from ..nn.spectral import has_batch_statistics
from ..objectives import Batch


def check_accumulation(k: int, nets: dict[str, nn.Module]) -> None:
    """A one-line ConfigError for the first network whose outputs mix the samples of a batch, when k > 1."""
    if k == 1:
        return
    for name, net in nets.items():
        if has_batch_statistics(net):
            raise ConfigError(f"config field train.accumulate: network {name} has BatchNorm (or another layer mixing "
                              f"the samples of a batch), whose statistics over a micro-batch differ from the whole "
                              f"batch's, so accumulating {k} micro-batches would not give the batch's update; set "
                              f"model.{name}.options.norm to layer or none, or train.accumulate=1")


def _part(t: torch.Tensor | None, i: int, k: int) -> torch.Tensor | None:
    if t is None:
        return None
    size = len(t) // k
    return t[i * size : (i + 1) * size]


def micro_batches(batch: Batch, k: int) -> list[Batch]:
    """The batch in k consecutive, equal parts (data, labels and noise alike; same phase step)."""
    if k == 1:
        return [batch]
    return [Batch(_part(batch.x, i, k), _part(batch.y, i, k), _part(batch.z, i, k), batch.phase_step)
            for i in range(k)]


class MicroLosses:
    """The micro-batches' losses, averaged as they come in (detached): what the batch's losses would read."""

    def __init__(self, k: int):
        self.k, self.sums = k, {}

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        for key, value in losses.items():
            self.sums[key] = self.sums.get(key, 0.0) + value.detach()

    def means(self) -> dict[str, torch.Tensor]:
        return {key: value / self.k for key, value in self.sums.items()}
