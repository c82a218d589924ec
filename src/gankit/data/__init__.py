"""Datasets: each describes itself with a DataSpec; `load_dataset` resolves names and NAME:PATH forms."""
from __future__ import annotations

from . import archives, digits, emoji, images, toy2d  # noqa: F401  (registers the datasets)
from .base import DATASETS, BatchSource, Dataset, DataSpec, Modes, TensorDataset

PATH_KINDS = ("folder", "npz", "zip", "mnist", "fashion-mnist", "cifar10", "cifar100")  # take a path after the colon
STREAMABLE = ("folder", "zip", "emoji", "emoji-google", "emoji-twitter")  # kinds that can decode lazily (data.stream)


def load_dataset(name: str, resolution: int = 0, stream: bool = False, workers: int = 0) -> Dataset:
    """'ring8', 'digits', 'folder:PATH', 'npz:PATH', ... -> a Dataset; `stream` decodes lazily with
    `workers` DataLoader processes (folder and zip only)."""
    from ..errors import ConfigError

    kind, _, arg = name.partition(":")
    if kind in PATH_KINDS and not arg:
        raise ConfigError(f"dataset {kind!r} needs a path: data.name={kind}:PATH")
    build = DATASETS.get(kind)
    if not stream:
        return build(arg, resolution)
    if kind not in STREAMABLE:
        raise ConfigError(f"data.stream: dataset {kind!r} is read into memory; streaming reads {' and '.join(STREAMABLE)}")
    return build(arg, resolution, stream=True, workers=workers)


def dataset_for(data_cfg) -> Dataset:
    """The dataset a DataConfig names (name, resolution, stream, workers)."""
    return load_dataset(data_cfg.name, data_cfg.resolution, data_cfg.stream, data_cfg.workers)


def absolute_data_name(name: str) -> str:
    """KIND:PATH with PATH made absolute, so a run's config reads its data from any working directory."""
    from pathlib import Path

    kind, _, arg = name.partition(":")
    if kind not in PATH_KINDS or not arg:
        return name
    return f"{kind}:{Path(arg).expanduser().resolve()}"


def dataset_names() -> list[str]:
    return [f"{n}:PATH" if n in PATH_KINDS else n for n in DATASETS.names()]


__all__ = ["DATASETS", "BatchSource", "Dataset", "DataSpec", "Modes", "TensorDataset", "load_dataset", "dataset_for", "absolute_data_name", "dataset_names"]
