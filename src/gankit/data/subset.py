"""data.subset: train on n images of a finite dataset, a fixed random choice (the same in every run seed, so
seeds differ in training only), for the small-data measurements of adaptive augmentation. `sample` (metric
references, picture grids, measure_data) still draws from the whole set, so a run's FD on 1,000 images is
measured against the same real images as one on all of them (Karras et al. 2020 score their subsets so)."""
from __future__ import annotations

import torch

from ..errors import ConfigError
from .base import TensorDataset

SUBSET_SEED = 0  # the choice of images does not follow the run's seed


def chosen_indices(total: int, n: int) -> torch.Tensor:
    """n indices of range(total) drawn without replacement under SUBSET_SEED, in increasing order."""
    generator = torch.Generator().manual_seed(SUBSET_SEED)
    return torch.randperm(total, generator=generator)[:n].sort().values


class SubsetTensors(TensorDataset):
    """An in-memory dataset cut to the chosen images (labels alike); the whole set kept for `sample`."""

    def __init__(self, base: TensorDataset, n: int):
        idx = chosen_indices(len(base), n)
        super().__init__(base.spec, base.x[idx], None if base.labels is None else base.labels[idx])
        self.originals = base

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.originals.sample(n, generator)


def subset(dataset, n: int):
    """The dataset cut to n of its items (data.subset); a set drawn afresh, a streamed one, or n past its
    size are refused with the field named."""
    if not isinstance(dataset, TensorDataset):
        raise ConfigError(f"config field data.subset: dataset {dataset.spec.name!r} is streamed or drawn afresh; "
                          "a subset is cut from a set held in memory (set data.stream=false, or data.subset=0)")
    if n > len(dataset):
        raise ConfigError(f"config field data.subset: {n} images asked of dataset {dataset.spec.name!r}, which "
                          f"holds {len(dataset)}; set data.subset to at most {len(dataset)}, or 0 for all")
    return SubsetTensors(dataset, n)
