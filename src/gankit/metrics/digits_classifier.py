"""The digits evaluator: a small classifier on the 1,000 benchmark training digits, trained with a fixed
recipe and seed (docs/benchmarks.md section 3); its penultimate layer is the feature space of digits metrics."""
from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .shipped_weights import load_weights, save_weights, weights_version

RECIPE = "digits-mlp-v1"  # bump when the recipe or architecture changes
WEIGHTS = Path(__file__).with_name("digits_evaluator.safetensors")
EPOCHS, BATCH, LR, WEIGHT_DECAY, INPUT_NOISE, SEED = 60, 64, 1e-3, 1e-4, 0.05, 0


class DigitsClassifier(nn.Module):
    """MLP 64-128-64-10 with ReLU; `features` is the 64-d penultimate layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # [N, 64]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # [N, 10] logits


@contextlib.contextmanager
def single_thread():
    """One CPU thread, so the same torch build gives the same bits on any machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_evaluator(seed: int = SEED) -> DigitsClassifier:
    """Adam 1e-3, weight decay 1e-4, 60 epochs of batch 64 with N(0, 0.05) input noise, on digits-train."""
    from ..data.digits import digits_arrays

    x, y = digits_arrays("train")
    gen = torch.Generator().manual_seed(seed)
    with single_thread():
        torch.manual_seed(seed)
        model = DigitsClassifier()
        opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        for _ in range(EPOCHS):
            perm = torch.randperm(len(x), generator=gen)
            for start in range(0, len(x) - BATCH + 1, BATCH):  # drop the ragged end
                idx = perm[start : start + BATCH]
                noisy = x[idx] + INPUT_NOISE * torch.randn(x[idx].shape, generator=gen)
                loss = F.cross_entropy(model(noisy), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return model.eval()


def accuracy(model: DigitsClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean())


def save_evaluator(model: DigitsClassifier, path: Path = WEIGHTS) -> str:
    return save_weights(model, path, RECIPE)


def version_of(path: Path) -> str:
    """The recipe name and the first 8 hex digits of the weights file's SHA-256."""
    return weights_version(path, RECIPE)


@lru_cache(maxsize=4)
def load_evaluator(path: Path = WEIGHTS) -> tuple[DigitsClassifier, str]:
    """The shipped classifier (eval mode, no gradients) and its version name."""
    return load_weights(DigitsClassifier(), path, RECIPE, f"digits evaluator weights {path} are missing; regenerate with: gankit evaluator")


# What a retrained evaluator must match on any CPU. Bit-for-bit only holds on the same CPU kernels: retrained
# weights differ from the shipped ones by up to 7.9e-6 under ATEN_CPU_CAPABILITY=default vs AVX2 on an AMD
# EPYC, 2.7e-6 on an AVX-512 Xeon; the bound below keeps a 12x margin.
WEIGHT_TOLERANCE = 1e-4
