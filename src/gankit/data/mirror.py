"""data.mirror: an image dataset doubled with each image's horizontal mirror (StyleGAN2-ADA's --mirror), items
N..2N-1 the mirrors of 0..N-1, shuffled in the same epochs as any dataset (so deterministic under the seed,
and resumed exactly from the saved permutation). The set is doubled, not flipped at random per draw: every
epoch then shows each image and its mirror once, as the paper's option does, and the data position stays a
permutation. `sample` (metric references, picture grids, measure_data) draws from the images as given, so a
run's metrics compare with the same real images whether it mirrors or not."""
from __future__ import annotations

import torch

from ..errors import ConfigError
from .base import TensorDataset
from .stream import DecodedItems, StreamedImages


class MirroredTensors(TensorDataset):
    """An in-memory dataset and its mirrors, held as one tensor of 2N images (labels repeated)."""

    def __init__(self, base: TensorDataset):
        labels = None if base.labels is None else torch.cat([base.labels, base.labels])
        super().__init__(base.spec, torch.cat([base.x, base.x.flip(-1)]), labels)
        self.originals = TensorDataset(base.spec, self.x[: len(base.x)], base.labels)  # a view: base.x can go

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.originals.sample(n, generator)


class MirroredItems(torch.utils.data.Dataset):
    """Decoded items and their mirrors: index i >= N is item i - N flipped."""

    def __init__(self, items: DecodedItems):
        self.items = items

    def __len__(self) -> int:
        return 2 * len(self.items)

    def __getitem__(self, i: int) -> torch.Tensor:
        n = len(self.items)
        return self.items[i] if i < n else self.items[i - n].flip(-1)


class MirroredStream(StreamedImages):
    """A streamed dataset and its mirrors, decoded as drawn."""

    def __init__(self, base: StreamedImages):
        self.spec, self.workers, self.originals = base.spec, base.workers, base
        self.labels = None if base.labels is None else torch.cat([base.labels, base.labels])
        self.items = MirroredItems(base.items)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.originals.sample(n, generator)


def mirrored(dataset):
    """The dataset doubled with its mirrors (data.mirror); vectors are refused."""
    if not dataset.spec.is_image:
        raise ConfigError(f"config field data.mirror: mirroring flips images; dataset {dataset.spec.name!r} gives "
                          "vectors (set data.mirror=false)")
    if isinstance(dataset, StreamedImages):
        return MirroredStream(dataset)
    if isinstance(dataset, TensorDataset):
        return MirroredTensors(dataset)
    raise ConfigError(f"config field data.mirror: dataset {dataset.spec.name!r} is drawn afresh, not a finite set "
                      "to double (set data.mirror=false)")
