"""Image and array datasets from files: `folder:PATH` (PNG / JPEG) and `npz:PATH` (arrays)."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..errors import DataError
from .base import DATASETS, DataSpec, TensorDataset, check_resolution, fit_square

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, do not just warn
            with Image.open(path) as im:
                im.load()
                return im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{path}: over {Image.MAX_IMAGE_PIXELS} pixels, refused as a possible decompression bomb") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except (UnidentifiedImageError, OSError) as err:
        raise DataError(f"{path}: not a readable PNG/JPEG image ({err.__class__.__name__})") from None


def _files_below(root: Path, where: str) -> list[Path]:
    """Every file below root, sorted; an unreadable folder is an error, not silently skipped."""
    def refuse(err: OSError):
        raise DataError(f"{where}: cannot read {err.filename} ({err.strerror})")

    if not os.access(root, os.R_OK | os.X_OK):
        raise DataError(f"{where}: cannot read the folder (permission denied)")
    files = []
    for folder, dirs, names in os.walk(root, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(folder) / n for n in names if not n.startswith(".")]
    return sorted(files)


def _to_square(im: Image.Image, resolution: int, mode: str) -> np.ndarray:
    """Resizes the shorter side to `resolution` and center-crops; returns uint8 [H, W] or [H, W, C]."""
    im = im.convert(mode)
    w, h = im.size
    scale = resolution / min(w, h)
    im = im.resize((max(resolution, round(w * scale)), max(resolution, round(h * scale))), Image.BICUBIC)
    w, h = im.size
    left, top = (w - resolution) // 2, (h - resolution) // 2
    return np.asarray(im.crop((left, top, left + resolution, top + resolution)))


@DATASETS.register("folder")
def image_folder(arg: str, resolution: int = 0) -> TensorDataset:
    """Every PNG / JPEG below folder PATH; grayscale if all images are, else RGB; needs data.resolution."""
    root = Path(arg).expanduser()
    if not root.is_dir():
        raise DataError(f"folder:{arg}: no such folder")
    if not resolution:
        raise DataError(f"folder:{arg}: set data.resolution (a power of two, e.g. 32)")
    check_resolution(resolution, f"folder:{arg}")
    files = _files_below(root, f"folder:{arg}")
    if not files:
        raise DataError(f"folder:{arg}: the folder has no files")
    for p in files:
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"folder:{arg}: {p.name} is not a PNG/JPEG file (allowed: .png, .jpg, .jpeg)")
    images = [_open_image(p) for p in files]
    gray = all(im.mode in ("L", "1", "I;16", "I") for im in images)
    mode = "L" if gray else "RGB"
    arrays = np.stack([_to_square(im, resolution, mode) for im in images])
    x = torch.from_numpy(arrays).float() / 127.5 - 1.0
    x = x[:, None] if gray else x.permute(0, 3, 1, 2)  # [N, C, H, W]
    spec = DataSpec(f"folder:{arg}", tuple(x.shape[1:]), num_classes=0, bounded=True)
    return TensorDataset(spec, x.contiguous())


def _images_from_array(a: np.ndarray, where: str) -> torch.Tensor:
    """[N, H, W], [N, H, W, C] or [N, C, H, W] (C in 1, 3, 4) -> float [N, C, H, W] in [-1, 1]."""
    if a.ndim == 3:
        a = a[:, None]
    elif a.shape[-1] in (1, 3, 4) and a.shape[1] not in (1, 3, 4):
        a = a.transpose(0, 3, 1, 2)
    elif a.shape[1] not in (1, 3, 4):
        raise DataError(f"{where}: image array of shape {list(a.shape)} has no channel axis of size 1, 3 or 4")
    x = torch.from_numpy(np.ascontiguousarray(a))
    if not x.is_floating_point():
        if a.min() < 0 or a.max() > 255:
            raise DataError(f"{where}: integer images must be 0..255 pixels, found {a.min()}..{a.max()} ({a.dtype}); "
                            "scale them, or store floats in [-1, 1]")
        return x.float() / 127.5 - 1.0  # integer arrays are 0..255 pixels
    x = x.float()
    if x.min() < -1.0 - 1e-6 or x.max() > 1.0 + 1e-6:
        raise DataError(f"{where}: float images must lie in [-1, 1], found [{x.min():.3g}, {x.max():.3g}]")
    return x


@DATASETS.register("npz")
def npz_arrays(arg: str, resolution: int = 0) -> TensorDataset:
    """Array `x` (else the first array) of vectors [N, d] or images, with optional integer labels `y`."""
    path = Path(arg).expanduser()
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise DataError(f"npz:{arg}: no such file") from None
    except (OSError, ValueError) as err:
        raise DataError(f"npz:{arg}: not a readable .npz file ({err})") from None
    if not arrays:
        raise DataError(f"npz:{arg}: the file holds no arrays")
    key = "x" if "x" in arrays else next(iter(arrays))
    a = arrays[key]
    where = f"npz:{arg} array {key!r}"
    check_numbers(a, where)
    if a.ndim < 2 or a.ndim > 4 or len(a) == 0:
        raise DataError(f"{where}: expected [N, d] vectors or [N, H, W(, C)] images, got shape {list(a.shape)}")
    if a.ndim == 2:
        x, bounded = torch.from_numpy(np.ascontiguousarray(a)).float(), False
    else:
        check_resolution(resolution, where)
        x, bounded = fit_square(_images_from_array(a, where), resolution), True
    y = _labels(arrays.get("y"), len(x), f"npz:{arg} array 'y'") if key != "y" else None
    num_classes = int(y.max()) + 1 if y is not None else 0
    spec = DataSpec(f"npz:{arg}", tuple(x.shape[1:]), num_classes=num_classes, bounded=bounded)
    return TensorDataset(spec, x, y)


def check_numbers(a: np.ndarray, where: str) -> None:
    """Real numbers only (no strings, complex, objects), every one finite; the first bad entry is named."""
    if a.dtype.kind not in "biuf":
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "objects", "M": "dates"}.get(a.dtype.kind, str(a.dtype))
        raise DataError(f"{where}: holds {kind} ({a.dtype}); expected real numbers")
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a)
        if bad.any():
            index = np.unravel_index(int(np.argmax(bad)), a.shape)
            raise DataError(f"{where}: {a[index]} at index {list(map(int, index))} ({int(bad.sum())} non-finite "
                            "value(s)); data must be finite")


def _labels(y: np.ndarray | None, n: int, where: str) -> torch.Tensor | None:
    if y is None:
        return None
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or (y < 0).any():
        raise DataError(f"{where}: expected {n} non-negative integer labels, got shape {list(y.shape)} {y.dtype}")
    return torch.from_numpy(y.astype(np.int64))
