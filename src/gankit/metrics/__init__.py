"""Metrics by name; a dataset lists the ones that apply to it in its DataSpec."""
from __future__ import annotations

import torch

from ..data import Dataset
from ..registry import Registry
from .toy import toy_metrics

METRICS: Registry = Registry("metrics")
HEADLINE = {"toy": ("modes", "hq")}  # what the progress bar shows


@METRICS.register("toy")
def toy(samples: torch.Tensor, dataset: Dataset) -> dict[str, float]:
    """Modes covered, HQ %, reverse KL against the dataset's known modes."""
    return toy_metrics(samples, dataset.modes.means, dataset.modes.std)


def evaluate(samples: torch.Tensor, dataset: Dataset) -> dict[str, float]:
    """Every metric the dataset lists, prefixed by the metric's name."""
    out = {}
    for name in dataset.spec.metrics:
        for key, value in METRICS.get(name)(samples, dataset).items():
            out[f"{name}/{key}"] = value
    return out


__all__ = ["METRICS", "HEADLINE", "evaluate", "toy_metrics"]
