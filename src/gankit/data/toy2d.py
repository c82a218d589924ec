"""2-D toy distributions with the definitions of the WGAN-GP reference code (igul222/improved_wgan_training)."""
from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.datasets import make_swiss_roll

from .base import DATASETS, Dataset, DataSpec, DrawnBatches, Modes


class ToyDataset(Dataset):
    """An endless 2-D distribution: a fresh batch every step, drawn with the global RNG."""

    def __init__(self, name: str, draw, modes: Modes | None):
        self._draw, self.modes = draw, modes
        metrics = ("toy",) if modes is not None else ()
        self.spec = DataSpec(name, (2,), num_classes=0, bounded=False, metrics=metrics)

    def batches(self, batch_size: int) -> DrawnBatches:
        return DrawnBatches(lambda n, generator: (self._draw(n, generator), None), batch_size)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self._draw(n, generator)


def mixture(means: torch.Tensor, std: float, scale: float):
    """Sampler of an equal-weight Gaussian mixture, every coordinate then divided by `scale`."""

    def draw(n: int, generator: torch.Generator | None) -> torch.Tensor:
        which = torch.randint(len(means), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator) * std
        return (means[which] + noise) / scale

    return draw, Modes(means / scale, std / scale)


def ring8_means() -> torch.Tensor:
    r = math.sqrt(2.0)
    pts = [(2, 0), (-2, 0), (0, 2), (0, -2), (r, r), (r, -r), (-r, r), (-r, -r)]
    return torch.tensor(pts, dtype=torch.float32)


def grid25_means() -> torch.Tensor:
    return torch.tensor([(2.0 * i, 2.0 * j) for i in range(-2, 3) for j in range(-2, 3)])


@DATASETS.register("ring8")
def ring8(arg: str = "", resolution: int = 0) -> ToyDataset:
    """8 Gaussians on a circle of radius 2, std 0.02, divided by 1.414."""
    draw, modes = mixture(ring8_means(), 0.02, 1.414)
    return ToyDataset("ring8", draw, modes)


@DATASETS.register("grid25")
def grid25(arg: str = "", resolution: int = 0) -> ToyDataset:
    """25 Gaussians at (2i, 2j), i, j in -2..2, std 0.05, divided by 2.828."""
    draw, modes = mixture(grid25_means(), 0.05, 2.828)
    return ToyDataset("grid25", draw, modes)


@DATASETS.register("swissroll")
def swissroll(arg: str = "", resolution: int = 0) -> ToyDataset:
    """scikit-learn's swiss roll (noise 0.25), columns 0 and 2, divided by 7.5."""

    def draw(n: int, generator: torch.Generator | None) -> torch.Tensor:
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))  # keeps torch's RNG in charge
        x, _ = make_swiss_roll(n, noise=0.25, random_state=np.random.RandomState(seed))
        return torch.from_numpy(x[:, [0, 2]] / 7.5).float()

    return ToyDataset("swissroll", draw, None)
