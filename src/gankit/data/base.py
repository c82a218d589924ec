"""What every dataset provides: a self-description (DataSpec) and a stream of batches."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sized
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from ..errors import DataError
from ..registry import Registry


@dataclass(frozen=True)
class DataSpec:
    """The shape of one sample and what it means; networks are built from this, never from literals."""

    name: str                 # the dataset name it was loaded under
    shape: tuple[int, ...]    # one sample: (C, H, W) for images, (d,) for vectors
    num_classes: int = 0      # 0 when the data has no labels
    bounded: bool = True      # values lie in [-1, 1], so generators end in tanh
    metrics: tuple[str, ...] = field(default_factory=tuple)  # metrics evaluated on this data

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3

    @property
    def channels(self) -> int:
        return self.shape[0] if self.is_image else 0

    @property
    def resolution(self) -> int:
        return self.shape[-1] if self.is_image else 0

    @property
    def dim(self) -> int:
        return math.prod(self.shape)  # plain ints: works while networks are built on the meta device

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shape"], d["metrics"] = list(self.shape), list(self.metrics)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpec":
        return cls(d["name"], tuple(d["shape"]), d["num_classes"], d["bounded"], tuple(d["metrics"]))


@dataclass
class Modes:
    """Known mixture components of a toy distribution, for the toy metrics."""

    means: torch.Tensor   # [K, d]
    std: float            # per-coordinate std of every component


class Dataset(ABC):
    """Base class: `spec`, `batches(batch_size)`, and `sample(n, generator)` of real data."""

    spec: DataSpec
    modes: Modes | None = None
    labels: torch.Tensor | None = None

    @abstractmethod
    def batches(self, batch_size: int) -> "BatchSource":
        """The training stream of (x, y) batches."""

    @abstractmethod
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n real samples drawn with `generator` (never the global RNG)."""


class BatchSource(ABC):
    """An endless stream of batches whose position can be saved and restored (exact resume)."""

    @abstractmethod
    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next (x, y) batch; y is None for unlabelled data."""

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        pass


class TensorDataset(Dataset):
    """A finite dataset held in memory: x [N, ...] and optional integer labels y [N]."""

    def __init__(self, spec: DataSpec, x: torch.Tensor, y: torch.Tensor | None = None):
        if len(x) == 0:
            raise DataError(f"dataset {spec.name!r} is empty")
        self.spec, self.x, self.labels = spec, x, y

    def __len__(self) -> int:
        return len(self.x)

    def batches(self, batch_size: int) -> "EpochBatches":
        if batch_size > len(self.x):  # never shrink it silently: the learning dynamics depend on it
            raise DataError(f"data.batch_size {batch_size} is larger than dataset {self.spec.name!r} "
                            f"({len(self.x)} items); set data.batch_size to at most {len(self.x)}")
        return EpochBatches(self.x, self.labels, batch_size)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        idx = torch.randperm(len(self.x), generator=generator)[: min(n, len(self.x))]
        return self.x[idx]


class EpochBatches(BatchSource):
    """Shuffled epochs drawn with the global RNG; the permutation and position are its state."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.perm = torch.randperm(len(x))
        self.pos = 0

    def next(self):
        if self.pos + self.batch_size > len(self.perm):  # drop the ragged end: equal batch sizes
            self.perm, self.pos = torch.randperm(len(self.x)), 0
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return self.x[idx], None if self.y is None else self.y[idx]

    def state_dict(self):
        return {"perm": self.perm.clone(), "pos": torch.tensor(self.pos)}

    def load_state_dict(self, state):
        perm, pos = state.get("perm"), state.get("pos")
        n = len(self.x)
        if perm is None or pos is None or perm.shape != (n,) or perm.dtype != torch.int64 or pos.numel() != 1 \
                or not 0 <= int(pos) <= n or not torch.equal(perm.sort().values, torch.arange(n)):
            raise DataError(f"the checkpoint's data position is not a shuffle of this dataset's {n} items "
                            "(a checkpoint of other data, or edited)")
        self.perm, self.pos = perm.clone(), int(pos)


class DrawnBatches(BatchSource):
    """An endless stream where every batch is drawn afresh by draw(n, None) -> (x, y), using the global
    RNG, so its position is the RNG state and it has nothing of its own to save."""

    def __init__(self, draw, batch_size: int):
        self.draw, self.batch_size = draw, batch_size

    def next(self):
        return self.draw(self.batch_size, None)


def check_batch_size(dataset: Dataset, batch_size: int) -> None:
    """A batch larger than a finite dataset is refused (never shrunk: the learning dynamics depend on it); the
    check the batch streams make, made before a run creates anything."""
    n = len(dataset) if isinstance(dataset, Sized) else None
    if n is not None and batch_size > n:
        raise DataError(f"data.batch_size {batch_size} is larger than dataset {dataset.spec.name!r} ({n} items); "
                        f"set data.batch_size to at most {n}")


def fit_square(x: torch.Tensor, resolution: int) -> torch.Tensor:
    """Center-crops images [N, C, H, W] to a square and resizes them to `resolution` (antialiased)."""
    h, w = x.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    x = x[..., top : top + side, left : left + side]
    if resolution and resolution != side:
        x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", antialias=True, align_corners=False)
        x = x.clamp(-1.0, 1.0)
    return x


def pad_square(x: torch.Tensor, side: int, where: str) -> torch.Tensor:
    """Images [N, C, H, W] centred on side x side with a border of -1 (black); the odd pixel of an uneven
    border goes to the bottom / right. Sides above `side` are refused: padding never crops."""
    h, w = x.shape[-2:]
    if h > side or w > side:
        raise DataError(f"{where}: data.fit=pad makes images larger, but they are {h}x{w}, above data.resolution "
                        f"{side}; set data.fit=resize or a larger data.resolution")
    top, left = (side - h) // 2, (side - w) // 2
    return F.pad(x, (left, side - w - left, top, side - h - top), value=-1.0)


def check_resolution(resolution: int, where: str) -> None:
    if resolution and (resolution < 4 or resolution & (resolution - 1)):
        raise DataError(f"{where}: resolution {resolution} is not a power of two (>= 4); set data.resolution")


DATASETS: Registry = Registry("datasets")
