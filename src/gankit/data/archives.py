"""Published dataset formats read from local files (nothing is downloaded): MNIST / Fashion-MNIST idx,
CIFAR-10 / CIFAR-100 python batches, and the ZIP-of-images layout of StyleGAN2-ADA and EDM."""
from __future__ import annotations

import gzip
import json
import math
import tarfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .base import DATASETS, Dataset, DataSpec, TensorDataset, check_resolution, fit_square
from .decode import EncodedImages, is_image_name
from .images import IMAGE_METRICS, image_dataset
from .labels import checked_labels, class_count
from .unpickle import safe_load

IDX_SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


MAX_IDX_BYTES = 1 << 31  # 2 GiB: an idx header asking for more is refused before anything is read (MNIST: 47 MB)


def read_idx(path: Path) -> np.ndarray:
    """An idx file (raw or .gz): magic 0 0 0x08 ndim, ndim big-endian int32 sizes, then unsigned bytes. The
    header's size is checked against MAX_IDX_BYTES (and a raw file's own size) before the data is read, so a
    header cannot make gankit allocate what it asks."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) < 4 or head[:3] != b"\x00\x00\x08" or not 1 <= head[3] <= 4:
                raise DataError(f"{path}: not an unsigned-byte idx file (magic {head.hex() or 'missing: empty file'})")
            ndim = head[3]
            dims = f.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise DataError(f"{path}: idx header cut short ({len(dims)} of {4 * ndim} size bytes)")
            shape = tuple(int(s) for s in np.frombuffer(dims, dtype=">i4"))
            size = math.prod(shape)
            limit = MAX_IDX_BYTES if path.suffix == ".gz" else min(MAX_IDX_BYTES, path.stat().st_size)
            if min(shape) < 0 or size > limit:
                raise DataError(f"{path}: idx header says shape {list(shape)} ({size} bytes), more than "
                                f"{'the file holds' if limit < MAX_IDX_BYTES else f'the {MAX_IDX_BYTES} bytes gankit reads'}")
            raw = f.read(size + 1)
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise DataError(f"{path}: no such file") from None
        kind = "a readable gzip file" if path.suffix == ".gz" else "readable"
        raise DataError(f"{path}: not {kind} ({' '.join(str(err).split()) or type(err).__name__})") from None
    if len(raw) != size:
        raise DataError(f"{path}: idx header says shape {list(shape)} but holds {'more than ' * (len(raw) > size)}"
                        f"{min(len(raw), size)} bytes of data")
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


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
    if not a.size:
        raise DataError(f"{images_path}: the idx file holds no images (shape {list(a.shape)})")
    check_resolution(resolution, where)
    x = fit_square(torch.from_numpy(a.copy())[:, None].float() / 127.5 - 1.0, resolution)
    y = None
    if labels_path is not None:
        labels = read_idx(labels_path)
        if labels.ndim != 1:
            raise DataError(f"{labels_path}: expected labels [N], the idx file holds shape {list(labels.shape)}")
        y = checked_labels(labels, len(a), str(labels_path))
    spec = DataSpec(where, tuple(x.shape[1:]), class_count(y, str(labels_path)), True, IMAGE_METRICS)
    return TensorDataset(spec, x.contiguous(), y)


@DATASETS.register("mnist")
def mnist(arg: str, resolution: int = 0) -> TensorDataset:
    """MNIST idx files (raw or .gz): a folder (train split) or a *-images-idx3-ubyte file with its labels."""
    return idx_dataset("mnist", arg, resolution)


@DATASETS.register("fashion-mnist")
def fashion_mnist(arg: str, resolution: int = 0) -> TensorDataset:
    """Fashion-MNIST: the same idx layout as MNIST."""
    return idx_dataset("fashion-mnist", arg, resolution)


MAX_BATCH_BYTES = 1 << 28  # 256 MiB: a CIFAR batch pickle is 31 MB (CIFAR-100's train 155 MB)
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
                large = next((b for b in batches if members[b].size > MAX_BATCH_BYTES), None)
                if large:
                    raise DataError(f"{where}: {large} is {members[large].size} bytes in the archive; a CIFAR batch "
                                    f"is at most {MAX_BATCH_BYTES} (refused unread)")
                return [(b, tar.extractfile(members[b]).read()) for b in batches]
        except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
            raise DataError(f"{where}: not a readable tar archive ({' '.join(str(err).split()) or type(err).__name__})") from None
    for root in (path, path / folder):
        if all((root / b).is_file() for b in batches):
            large = next((b for b in batches if (root / b).stat().st_size > MAX_BATCH_BYTES), None)
            if large:
                raise DataError(f"{where}: {root / large} is larger than a CIFAR batch ({MAX_BATCH_BYTES} bytes at most)")
            return [(b, (root / b).read_bytes()) for b in batches]
    if not path.exists():
        raise DataError(f"{where}: no such file or folder")
    raise DataError(f"{where}: expected the python-version archive or a folder with {', '.join(batches)}")


def cifar_dataset(kind: str, arg: str, resolution: int) -> TensorDataset:
    where = f"{kind}:{arg}"
    label_key = CIFAR_LAYOUT[kind][2]
    classes = 10 if kind == "cifar10" else 100
    xs, ys = [], []
    for name, blob in cifar_batches(Path(arg).expanduser(), kind, where):
        batch = safe_load(blob, f"{where} {name}")
        if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
            raise DataError(f"{where} {name}: expected a dict with data and {label_key.decode()}")
        data = np.asarray(batch[b"data"])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DataError(f"{where} {name}: data is {data.dtype} {list(data.shape)}, expected uint8 [N, 3072]")
        if not len(data):
            raise DataError(f"{where} {name}: the batch holds no images")
        xs.append(data.reshape(-1, 3, 32, 32))
        ys.append(checked_labels(cifar_label_list(batch[label_key], f"{where} {name} {label_key.decode()}"), len(data),
                                 f"{where} {name} {label_key.decode()}", classes))
    check_resolution(resolution, where)
    x = fit_square(torch.from_numpy(np.concatenate(xs)).float() / 127.5 - 1.0, resolution)
    y = torch.cat(ys)
    spec = DataSpec(where, tuple(x.shape[1:]), classes, True, IMAGE_METRICS)
    return TensorDataset(spec, x.contiguous(), y)


def cifar_label_list(labels, where: str) -> np.ndarray:
    """A batch's labels (a list of ints, or an integer array) as an array; anything else is refused."""
    if isinstance(labels, np.ndarray):
        return labels
    if not isinstance(labels, list):
        raise DataError(f"{where}: expected a list of integer labels, got {type(labels).__name__}")
    bad = next((i for i, v in enumerate(labels) if not isinstance(v, int) or isinstance(v, bool)), None)
    if bad is not None:
        raise DataError(f"{where}: label {labels[bad]!r} at index {bad} is not an integer (class index)")
    return np.array(labels, dtype=np.int64) if labels else np.zeros(0, np.int64)


@DATASETS.register("cifar10")
def cifar10(arg: str, resolution: int = 0) -> TensorDataset:
    """CIFAR-10 python version (cifar-10-python.tar.gz or its extracted folder): the 50,000 training images."""
    return cifar_dataset("cifar10", arg, resolution)


@DATASETS.register("cifar100")
def cifar100(arg: str, resolution: int = 0) -> TensorDataset:
    """CIFAR-100 python version: the 50,000 training images with their 100 fine labels."""
    return cifar_dataset("cifar100", arg, resolution)


MAX_JSON_BYTES = 1 << 26  # 64 MiB: dataset.json of 10 million labelled names


def zip_labels(z: zipfile.ZipFile, names: list[str], where: str) -> torch.Tensor | None:
    """Labels from dataset.json {"labels": [[name, label], ...]} (null or absent: unlabelled)."""
    if "dataset.json" not in z.namelist():
        return None
    if z.getinfo("dataset.json").file_size > MAX_JSON_BYTES:
        raise DataError(f"{where}: dataset.json is {z.getinfo('dataset.json').file_size} bytes, over {MAX_JSON_BYTES}")
    try:
        entries = json.loads(z.read("dataset.json")).get("labels")
    except (ValueError, AttributeError):
        raise DataError(f"{where}: dataset.json is not a JSON object") from None
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise DataError(f"{where}: dataset.json \"labels\" is {type(entries).__name__}, expected a list of [name, label] pairs")
    bad = next((i for i, e in enumerate(entries) if not (isinstance(e, list) and len(e) == 2 and isinstance(e[0], str))), None)
    if bad is not None:
        raise DataError(f"{where}: dataset.json labels entry {bad} is {json.dumps(entries[bad])[:60]}, expected a "
                        "[name, label] pair")
    table = {name.replace("\\", "/"): label for name, label in entries}
    missing = [n for n in names if n not in table]
    if missing:
        raise DataError(f"{where}: dataset.json has no label for {missing[0]}")
    wrong = next((n for n in names if not isinstance(table[n], int) or isinstance(table[n], bool)), None)
    if wrong is not None:
        raise DataError(f"{where}: dataset.json label {json.dumps(table[wrong])[:40]} of {wrong} is not an integer (class index)")
    values = [table[n] for n in names]
    huge = next((i for i, v in enumerate(values) if not -2**62 <= v < 2**62), None)
    if huge is not None:  # past int64: no class count could hold it
        raise DataError(f"{where} dataset.json: label {values[huge]} of {names[huge]} is outside any class count")
    return checked_labels(np.array(values, dtype=np.int64), len(names), f"{where} dataset.json")


@DATASETS.register("zip")
def image_zip(arg: str, resolution: int = 0, stream: bool = False, workers: int = 0, channels: int = 0) -> Dataset:
    """A ZIP of images with optional dataset.json labels (StyleGAN2-ADA / EDM dataset_tool layout); data.resolution
    defaults to the images' own size."""
    path, where = Path(arg).expanduser(), f"zip:{arg}"
    if not zipfile.is_zipfile(path):
        raise DataError(f"{where}: {'not a ZIP file' if path.is_file() else 'a folder, expected a ZIP file' if path.is_dir() else 'no such file'}")
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if is_image_name(n))
        if not names:
            raise DataError(f"{where}: the ZIP holds no images")
        labels = zip_labels(z, names, where)
    images = EncodedImages(where, names, zip_path=path)
    return image_dataset(where, images, labels, resolution or images.open(0).size[0], stream, workers, channels)
