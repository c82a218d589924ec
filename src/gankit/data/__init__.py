"""Datasets: each describes itself with a DataSpec; `load_dataset` resolves names and NAME:PATH forms."""
from __future__ import annotations

from . import archives, digits, emoji, images, toy2d  # noqa: F401  (registers the datasets)
from .base import DATASETS, BatchSource, Dataset, DataSpec, Modes, TensorDataset, check_batch_size
from .labels import MAX_CLASSES, check_class_count

PATH_KINDS = ("folder", "npz", "zip", "mnist", "fashion-mnist", "cifar10", "cifar100")  # take a path after the colon
STREAMABLE = ("folder", "zip", "emoji", "emoji-google", "emoji-twitter")  # kinds that can decode lazily (data.stream)


def load_dataset(name: str, resolution: int = 0, stream: bool = False, workers: int = 0, channels: int = 0,
                 max_classes: int = MAX_CLASSES, fit: str = "resize") -> Dataset:
    """'ring8', 'digits', 'folder:PATH', 'npz:PATH', ... -> a Dataset; `stream` decodes lazily with
    `workers` DataLoader processes and `channels` picks the image layout (folder, zip and emoji only); a class count
    past `max_classes` is refused before anything is built from it; fit="pad" pads images to `resolution`
    instead of resizing them (data.fit)."""
    from ..errors import ConfigError

    kind, _, arg = name.partition(":")
    if kind in PATH_KINDS and not arg.strip():
        raise ConfigError(f"config field data.name: dataset {kind!r} needs a path after the colon; write data.name={kind}:PATH")
    build = DATASETS.get(kind)
    if fit == "pad" and resolution:
        if stream:
            raise ConfigError("data.fit=pad pads images held in memory; a streamed dataset is resized (data.fit=resize)")
        from .base import check_resolution

        check_resolution(resolution, name)
        dataset = padded(load_dataset(name, 0, False, workers, channels, max_classes), resolution)
        return dataset
    if stream and kind not in STREAMABLE:
        raise ConfigError(f"data.stream: dataset {kind!r} is read into memory; streaming reads {' and '.join(STREAMABLE)}")
    if channels and kind not in STREAMABLE:
        raise ConfigError(f"config field data.channels: dataset {kind!r} has its own channels; data.channels "
                          f"applies to {' and '.join(STREAMABLE)}")
    if kind in STREAMABLE:
        dataset = build(arg, resolution, stream=stream, workers=workers, channels=channels)
    else:
        dataset = build(arg, resolution)
    check_class_count(dataset, max_classes)
    return dataset


def dataset_for(data_cfg) -> Dataset:
    """The dataset a DataConfig names (name, resolution, stream, workers, channels, max_classes, fit), cut to
    data.subset images when set, then doubled with its mirrors when data.mirror."""
    dataset = load_dataset(data_cfg.name, data_cfg.resolution, data_cfg.stream, data_cfg.workers, data_cfg.channels,
                           data_cfg.max_classes, data_cfg.fit)
    if data_cfg.subset:
        from .subset import subset

        dataset = subset(dataset, data_cfg.subset)
    if data_cfg.mirror:
        from .mirror import mirrored

        dataset = mirrored(dataset)
    return dataset


def padded(dataset: Dataset, side: int) -> TensorDataset:
    """An in-memory image dataset at its native size, centred on side x side with a black (-1) border; the
    metrics of any image data apply to it (a dataset's own, such as the 8x8 digits evaluator, no longer do)."""
    from dataclasses import replace

    from ..errors import ConfigError
    from .base import pad_square
    from .images import IMAGE_METRICS

    if not isinstance(dataset, TensorDataset) or not dataset.spec.is_image:
        raise ConfigError(f"data.fit=pad: dataset {dataset.spec.name} is not a set of images held in memory; "
                          "set data.fit=resize")
    if dataset.spec.resolution == side:
        return dataset
    x = pad_square(dataset.x, side, dataset.spec.name)
    return TensorDataset(replace(dataset.spec, shape=tuple(x.shape[1:]), metrics=IMAGE_METRICS), x, dataset.labels)


def absolute_data_name(name: str) -> str:
    """KIND:PATH with PATH made absolute, so a run's config reads its data from any working directory."""
    from pathlib import Path

    kind, _, arg = name.partition(":")
    if kind not in PATH_KINDS or not arg:
        return name
    return f"{kind}:{Path(arg).expanduser().resolve()}"


def dataset_names() -> list[str]:
    return [f"{n}:PATH" if n in PATH_KINDS else n for n in DATASETS.names()]


__all__ = ["DATASETS", "BatchSource", "Dataset", "DataSpec", "Modes", "TensorDataset", "check_batch_size", "load_dataset", "dataset_for", "absolute_data_name", "dataset_names"]
