"""Streaming image datasets: images are decoded as batches are drawn (optionally by DataLoader workers),
in the same shuffled epochs as the in-memory EpochBatches, so a run resumes at the exact position."""
from __future__ import annotations

import torch
from torch.utils.data import DataLoader

from ..errors import DataError

from .base import BatchSource, Dataset, DataSpec
from .decode import EncodedImages, decode


class DecodedItems(torch.utils.data.Dataset):
    """Map-style view for DataLoader: index -> float image [C, R, R] in [-1, 1]."""

    def __init__(self, images: EncodedImages, resolution: int, channels: int):
        self.images, self.resolution, self.channels = images, resolution, channels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return decode(self.images, i, self.resolution, self.channels)


class StreamedImages(Dataset):
    """Encoded images held as bytes on disk, decoded on demand; `x` is never materialised."""

    def __init__(self, spec: DataSpec, images: EncodedImages, labels: torch.Tensor | None, channels: int, workers: int):
        self.spec, self.labels, self.workers = spec, labels, workers
        self.items = DecodedItems(images, spec.resolution, channels)

    def __len__(self) -> int:
        return len(self.items)

    def batches(self, batch_size: int) -> "StreamBatches":
        return StreamBatches(self, batch_size)

    def fetch(self, idx: torch.Tensor) -> torch.Tensor:
        """Images idx decoded in this process, float [n, C, R, R] in [-1, 1]."""
        return torch.stack([self.items[int(i)] for i in idx])

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.fetch(torch.randperm(len(self), generator=generator)[: min(n, len(self))])


class StreamBatches(BatchSource):
    """EpochBatches' permutation and position (the same global-RNG draws, so in-memory and streamed runs
    see identical batches), with the decoding of the epoch's remaining batches done by a DataLoader."""

    def __init__(self, dataset: StreamedImages, batch_size: int):
        if batch_size > len(dataset):  # as TensorDataset: a batch larger than the data is a mistake, not a shrink
            raise DataError(f"{dataset.spec.name}: data.batch_size {batch_size} is larger than the dataset "
                            f"({len(dataset)} items); lower data.batch_size")
        self.dataset, self.batch_size = dataset, batch_size
        self.perm = torch.randperm(len(dataset))
        self.pos = 0
        self._loader = None  # iterator over the batches from `pos` to the end of this epoch

    def _start_loader(self) -> None:
        starts = range(self.pos, len(self.perm) - self.batch_size + 1, self.batch_size)
        order = [self.perm[s : s + self.batch_size].tolist() for s in starts]
        workers = self.dataset.workers
        # its own generator: a DataLoader must not draw its seed from the training RNG
        loader = DataLoader(self.dataset.items, batch_sampler=order, num_workers=workers,
                            generator=torch.Generator().manual_seed(0), prefetch_factor=2 if workers else None)
        self._loader = iter(loader)

    def next(self):
        if self.pos + self.batch_size > len(self.perm):  # drop the ragged end: equal batch sizes
            self.perm, self.pos, self._loader = torch.randperm(len(self.dataset)), 0, None
        if self._loader is None:
            self._start_loader()
        idx = self.perm[self.pos : self.pos + self.batch_size]
        x = next(self._loader)
        self.pos += self.batch_size
        labels = self.dataset.labels
        return x, None if labels is None else labels[idx]

    def state_dict(self):
        return {"perm": self.perm.clone(), "pos": torch.tensor(self.pos)}

    def load_state_dict(self, state):
        self.perm, self.pos, self._loader = state["perm"].clone(), int(state["pos"]), None
