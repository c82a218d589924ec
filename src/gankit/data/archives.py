"""Published dataset formats read from local files (nothing is downloaded): MNIST / Fashion-MNIST idx,
CIFAR-10 / CIFAR-100 python batches, and the ZIP-of-images layout of StyleGAN2-ADA and EDM."""
from __future__ import annotations

import gzip
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .base import DATASETS, Dataset, DataSpec, TensorDataset, check_resolution, fit_square
from .decode import EncodedImages, is_image_name
from .images import IMAGE_METRICS, image_dataset
from .unpickle import safe_load

IDX_SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (raw or .gz): magic 0 0 0x08 ndim, ndim big-endian int32 sizes, then unsigned bytes."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or not 1 <= raw[3] <= 4:
        raise DataError(f"{path}: not an unsigned-byte idx file (magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw[4 : 4 + 4 * ndim], dtype=">i4"))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path}: idx header says shape {list(shape)} but holds {data.size} bytes")
    return data.reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def idx_files(path: Path, where: str) -> tuple[Path, Path | None]:
    """(images file, labels file or None): PATH is a folder (the train split) or an images file."""
    if path.is_dir():
        images = _find(path, IDX_SPLITS["train"][0])
        if images is None:
            raise DataError(f"{where}: no {IDX_SPLITS['train'][0]}[.gz] in the folder")
        return images, _find(path, IDX_SPLITS["train"][1])
    if not path.is_file():
        raise DataError(f"{where}: no such file or folder")
    for images_stem, labels_stem in IDX_SPLITS.values():
        if path.name.startswith(images_stem.split("-idx")[0]):
            return path, _find(path.parent, labels_stem)
    return path, None


def idx_dataset(name: str, arg: str, resolution: int) -> TensorDataset:
    where = f"{name}:{arg}"
    images_path, labels_path = idx_files(Path(arg).expanduser(), where)
    a = read_idx(images_path)
    if a.ndim != 3:
        raise DataError(f"{images_path}: expected images [N, H, W], the idx file holds shape {list(a.shape)}")
    check_resolution(resolution, where)
    x = fit_square(torch.from_numpy(a.copy())[:, None].float() / 127.5 - 1.0, resolution)
    y = None
    if labels_path is not None:
        labels = read_idx(labels_path)
        if labels.shape != (len(a),):
            raise DataError(f"{labels_path}: {labels.shape} labels for {len(a)} images")
        y = torch.from_numpy(labels.astype(np.int64))
    spec = DataSpec(where, tuple(x.shape[1:]), int(y.max()) + 1 if y is not None else 0, True, IMAGE_METRICS)
    return TensorDataset(spec, x.contiguous(), y)


@DATASETS.register("mnist")
def mnist(arg: str, resolution: int = 0) -> TensorDataset:
    """MNIST idx files (raw or .gz): a folder (train split) or a *-images-idx3-ubyte file with its labels."""
    return idx_dataset("mnist", arg, resolution)


@DATASETS.register("fashion-mnist")
def fashion_mnist(arg: str, resolution: int = 0) -> TensorDataset:
    """Fashion-MNIST: the same idx layout as MNIST."""
    return idx_dataset("fashion-mnist", arg, resolution)


CIFAR_LAYOUT = {  # dataset -> (folder in the archive, training batches, label key)
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], b"labels"),
    "cifar100": ("cifar-100-python", ["train"], b"fine_labels"),
}


def cifar_batches(path: Path, kind: str, where: str) -> list[tuple[str, bytes]]:
    """(name, pickled bytes) of the training batches, from the .tar.gz archive or its extracted folder."""
    folder, batches, _ = CIFAR_LAYOUT[kind]
    if path.is_file():
        try:
            with tarfile.open(path, "r:*") as tar:  # members are read, never extracted to disk
                members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
                missing = [b for b in batches if b not in members]
                if missing:
                    raise DataError(f"{where}: the archive has no {missing[0]} (is it the CIFAR python version?)")
                return [(b, tar.extractfile(members[b]).read()) for b in batches]
        except tarfile.TarError as err:
            raise DataError(f"{where}: not a readable tar archive ({err})") from None
    for root in (path, path / folder):
        if all((root / b).is_file() for b in batches):
            return [(b, (root / b).read_bytes()) for b in batches]
    if not path.exists():
        raise DataError(f"{where}: no such file or folder")
    raise DataError(f"{where}: expected the python-version archive or a folder with {', '.join(batches)}")


def cifar_dataset(kind: str, arg: str, resolution: int) -> TensorDataset:
    where = f"{kind}:{arg}"
    label_key = CIFAR_LAYOUT[kind][2]
    xs, ys = [], []
    for name, blob in cifar_batches(Path(arg).expanduser(), kind, where):
        batch = safe_load(blob, f"{where} {name}")
        if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
            raise DataError(f"{where} {name}: expected a dict with data and {label_key.decode()}")
        data = np.asarray(batch[b"data"])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DataError(f"{where} {name}: data is {data.dtype} {list(data.shape)}, expected uint8 [N, 3072]")
        xs.append(data.reshape(-1, 3, 32, 32))
        ys.append(np.asarray(batch[label_key], dtype=np.int64))
    check_resolution(resolution, where)
    x = fit_square(torch.from_numpy(np.concatenate(xs)).float() / 127.5 - 1.0, resolution)
    y = torch.from_numpy(np.concatenate(ys))
    spec = DataSpec(where, tuple(x.shape[1:]), 10 if kind == "cifar10" else 100, True, IMAGE_METRICS)
    return TensorDataset(spec, x.contiguous(), y)


@DATASETS.register("cifar10")
def cifar10(arg: str, resolution: int = 0) -> TensorDataset:
    """CIFAR-10 python version (cifar-10-python.tar.gz or its extracted folder): the 50,000 training images."""
    return cifar_dataset("cifar10", arg, resolution)


@DATASETS.register("cifar100")
def cifar100(arg: str, resolution: int = 0) -> TensorDataset:
    """CIFAR-100 python version: the 50,000 training images with their 100 fine labels."""
    return cifar_dataset("cifar100", arg, resolution)


def zip_labels(z: zipfile.ZipFile, names: list[str], where: str) -> torch.Tensor | None:
    """Labels from dataset.json {"labels": [[name, label], ...]} (null or absent: unlabelled)."""
    if "dataset.json" not in z.namelist():
        return None
    try:
        entries = json.loads(z.read("dataset.json")).get("labels")
    except (ValueError, AttributeError):
        raise DataError(f"{where}: dataset.json is not a JSON object") from None
    if entries is None:
        return None
    table = {str(name).replace("\\", "/"): label for name, label in entries}
    missing = [n for n in names if n not in table]
    if missing:
        raise DataError(f"{where}: dataset.json has no label for {missing[0]}")
    if any(not isinstance(table[n], int) or table[n] < 0 for n in names):
        raise DataError(f"{where}: dataset.json labels must be non-negative integers (class indices)")
    return torch.tensor([table[n] for n in names])


def zip_channels(z: zipfile.ZipFile) -> int | None:
    """dataset.json's "channels" (gankit data convert writes 4 when alpha is part of the data), else None."""
    if "dataset.json" not in z.namelist():
        return None
    try:
        meta = json.loads(z.read("dataset.json"))
    except ValueError:
        return None  # zip_labels has said what is wrong with the file
    return meta.get("channels") if isinstance(meta, dict) else None


@DATASETS.register("zip")
def image_zip(arg: str, resolution: int = 0, stream: bool = False, workers: int = 0) -> Dataset:
    """A ZIP of images with optional dataset.json labels (StyleGAN2-ADA / EDM dataset_tool layout); data.resolution
    defaults to the images' own size."""
    path, where = Path(arg).expanduser(), f"zip:{arg}"
    if not zipfile.is_zipfile(path):
        raise DataError(f"{where}: {'not a ZIP file' if path.is_file() else 'no such file'}")
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if is_image_name(n))
        if not names:
            raise DataError(f"{where}: the ZIP holds no images")
        labels = zip_labels(z, names, where)
        keep_alpha = zip_channels(z) == 4
    images = EncodedImages(where, names, zip_path=path)
    images.keep_alpha = keep_alpha
    return image_dataset(where, images, labels, resolution or images.open(0).size[0], stream, workers)
