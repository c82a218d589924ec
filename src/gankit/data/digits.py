"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), scaled to [-1, 1]."""
from __future__ import annotations

import torch

from ..errors import DataError
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from .base import DATASETS, Dataset, DataSpec, DrawnBatches, TensorDataset, check_resolution, fit_square

BENCHMARK_TEST_SIZE = 797  # docs/benchmarks.md section 3: stratified split, random_state 0


def digits_arrays(split: str = "all") -> tuple[torch.Tensor, torch.Tensor]:
    """Images [N, 1, 8, 8] in [-1, 1] and labels [N] for split all | train | test."""
    bunch = load_digits()
    x, y = bunch.data, bunch.target
    if split != "all":
        x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=BENCHMARK_TEST_SIZE, stratify=y, random_state=0)
        x, y = (x_tr, y_tr) if split == "train" else (x_te, y_te)
    images = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 8, 8) / 8.0 - 1.0  # 0..16 -> [-1, 1]
    return images, torch.tensor(y, dtype=torch.long)


def _digits(name: str, split: str, resolution: int) -> TensorDataset:
    check_resolution(resolution, f"dataset {name}")
    x, y = digits_arrays(split)
    x = fit_square(x, resolution)
    metrics = ("digits",) if x.shape[-1] == 8 else ("swd",)  # the evaluator reads 8x8 images
    spec = DataSpec(name, tuple(x.shape[1:]), num_classes=10, bounded=True, metrics=metrics)
    return TensorDataset(spec, x, y)


@DATASETS.register("digits")
def digits(arg: str = "", resolution: int = 0) -> TensorDataset:
    """All 1,797 digits."""
    return _digits("digits", "all", resolution)


@DATASETS.register("digits-train")
def digits_train(arg: str = "", resolution: int = 0) -> TensorDataset:
    """The 1,000 benchmark training digits."""
    return _digits("digits-train", "train", resolution)


@DATASETS.register("digits-test")
def digits_test(arg: str = "", resolution: int = 0) -> TensorDataset:
    """The 797 held-out benchmark digits."""
    return _digits("digits-test", "test", resolution)


class StackedDigits(Dataset):
    """Three independently drawn digits as the 3 channels of one 8x8 image: 1,000 modes (label 100a+10b+c)."""

    def __init__(self):
        self.pool, self.pool_labels = digits_arrays("all")
        self.spec = DataSpec("stacked-digits", (3, 8, 8), num_classes=1000, bounded=True, metrics=("stacked-digits",))

    def draw(self, n: int, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.pool), (n, 3), generator=generator)
        x = self.pool[idx.flatten()].reshape(n, 3, 8, 8)
        y = (self.pool_labels[idx] * torch.tensor([100, 10, 1])).sum(1)
        return x, y

    def batches(self, batch_size: int) -> DrawnBatches:
        return DrawnBatches(self.draw, batch_size)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.draw(n, generator)[0]


@DATASETS.register("stacked-digits")
def stacked_digits(arg: str = "", resolution: int = 0) -> StackedDigits:
    """Stacked digits, the offline analogue of Stacked MNIST (docs/benchmarks.md section 4)."""
    if resolution not in (0, 8):
        raise DataError(f"dataset stacked-digits is 8x8 (its metric classifies each channel); got resolution {resolution}")
    return StackedDigits()
