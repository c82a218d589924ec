"""Datasets: each describes itself with a DataSpec; `load_dataset` resolves names and NAME:PATH forms."""
from __future__ import annotations

from . import digits, images, toy2d  # noqa: F401  (registers the datasets)
from .base import DATASETS, BatchSource, Dataset, DataSpec, Modes, TensorDataset

PATH_KINDS = ("folder", "npz")  # names that take a path after the colon


def load_dataset(name: str, resolution: int = 0) -> Dataset:
    """'ring8', 'digits', 'folder:PATH', 'npz:PATH' -> a Dataset."""
    kind, _, arg = name.partition(":")
    if kind in PATH_KINDS and not arg:
        from ..errors import ConfigError

        raise ConfigError(f"dataset {kind!r} needs a path: data.name={kind}:PATH")
    return DATASETS.get(kind)(arg, resolution)


def dataset_names() -> list[str]:
    return [f"{n}:PATH" if n in PATH_KINDS else n for n in DATASETS.names()]


__all__ = ["DATASETS", "BatchSource", "Dataset", "DataSpec", "Modes", "TensorDataset", "load_dataset", "dataset_names"]
