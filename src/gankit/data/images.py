"""Image and array datasets from files: `folder:PATH` (images, one subfolder per class gives labels) and
`npz:PATH` (arrays). Both decode into memory, or stream lazily with data.stream."""
from __future__ import annotations

import math
import os
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .base import DATASETS, Dataset, DataSpec, TensorDataset, check_resolution, fit_square
from .decode import EncodedImages, decode, is_image_name, notice
from .labels import checked_labels, class_count
from .pixels import conversion_note
from .sniff import looks_like

IMAGE_METRICS = ("swd",)  # needs no pretrained weights: every image dataset without its own gets it


def image_dataset(name: str, images: EncodedImages, labels: torch.Tensor | None, resolution: int,
                  stream: bool = False, workers: int = 0, channels: int = 0) -> Dataset:
    """Encoded images -> a dataset of [C, R, R] in [-1, 1]: decoded up front, or streamed when `stream`. C is
    the files' own layout (pixels.common_channels) unless `channels` (data.channels) names one; every mode is
    read by its rule (pixels.py) and one line says what was converted."""
    check_resolution(resolution, name)
    if not resolution:
        raise DataError(f"{name}: set data.resolution (a power of two, e.g. 32)")
    found, probed = images.layout()
    chosen = channels or found
    spec = DataSpec(name, (chosen, resolution, resolution), class_count(labels, name), True, IMAGE_METRICS)
    if stream:
        from .stream import StreamedImages

        share = "" if sum(probed.values()) == len(images) else f"(the {sum(probed.values())} probed of {len(images)}) "
        say(conversion_note(name, probed, chosen, bool(channels), share))
        return StreamedImages(spec, images, labels, chosen, workers)
    modes = Counter()
    pixels = torch.empty(len(images), *spec.shape)  # filled in place: no second copy of the decoded set
    for i in range(len(images)):
        pixels[i] = decode(images, i, resolution, chosen, modes)
    say(conversion_note(name, modes, chosen, bool(channels)))
    return TensorDataset(spec, pixels, labels)


def say(note: str | None) -> None:
    if note:
        notice(note)


def scan_folder(root: Path, where: str) -> tuple[list[str], torch.Tensor | None]:
    """Image files below root (relative, sorted) and labels when every image lies in one of >= 2 class
    subfolders (named by the subfolder, in sorted order); other files are skipped with a count."""
    files = [p.relative_to(root).as_posix() for p in files_below(root, where)]
    names = [f for f in files if is_image_name(f)]
    skipped = [f for f in files if not is_image_name(f)]
    if skipped:
        notice(f"{where}: skipped {len(skipped)} non-image file(s), e.g. {skipped[0]} "
               "(images: .png .jpg .jpeg .webp .bmp .tif)")
    if not names:
        raise DataError(f"{where}: the folder has no image files (.png .jpg .jpeg .webp .bmp .tif)")
    classes = sorted({n.split("/")[0] for n in names if "/" in n})
    if len(classes) < 2 or any("/" not in n for n in names):
        return names, None
    index = {c: i for i, c in enumerate(classes)}
    notice(f"{where}: {len(classes)} class subfolders give the labels ({', '.join(classes[:5])}{', ...' * (len(classes) > 5)})")
    return names, torch.tensor([index[n.split("/")[0]] for n in names])


def files_below(root: Path, where: str) -> list[Path]:
    """Every file below root but hidden ones, sorted; an unreadable folder is an error, not silently skipped."""
    def refuse(err: OSError):
        raise DataError(f"{where}: cannot read {err.filename} ({err.strerror})")

    if not os.access(root, os.R_OK | os.X_OK):
        raise DataError(f"{where}: cannot read the folder (permission denied)")
    files = []
    for folder, dirs, names in os.walk(root, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(folder) / n for n in names if not n.startswith(".")]
    return sorted(files)


@DATASETS.register("folder")
def image_folder(arg: str, resolution: int = 0, stream: bool = False, workers: int = 0, channels: int = 0) -> Dataset:
    """Images below folder PATH (PNG, JPEG, WebP, BMP, TIFF, any Pillow mode: 8/16-bit, float); channels as
    the files have them (gray / colour, alpha) unless data.channels; one subfolder per class gives labels;
    data.resolution defaults to the images' size when all share one square power-of-two size."""
    root = Path(arg).expanduser()
    where = f"folder:{arg}"
    if not root.is_dir():
        raise DataError(f"{where}: {'a file, expected a folder of images' if root.exists() else 'no such folder'}")
    check_resolution(resolution, where)
    names, labels = scan_folder(root, where)
    images = EncodedImages(where, names, root=root)
    resolution = folder_resolution(images, resolution, where)
    return image_dataset(where, images, labels, resolution, stream, workers, channels)


def folder_resolution(images: EncodedImages, resolution: int, where: str) -> int:
    """data.resolution, else the images' own size when every one has the same square power-of-two size;
    non-square images are center-cropped, said in one line."""
    sizes = Counter(images.open(i).size for i in range(len(images)))
    odd = sum(n for (w, h), n in sizes.items() if w != h)
    if odd and resolution:
        notice(f"{where}: {odd} of {len(images)} images are not square: center-cropped to {resolution}x{resolution} "
               "(to pad or stretch instead: gankit data convert --crop pad|stretch)")
    if resolution:
        return resolution
    (w, h), _ = sizes.most_common(1)[0]
    if len(sizes) == 1 and w == h and w >= 4 and not w & (w - 1):
        return w
    found = f"{len(sizes)} sizes, e.g. {w}x{h}" if len(sizes) > 1 else f"all {w}x{h}"
    raise DataError(f"{where}: the images are {found}; set data.resolution (a power of two, e.g. 32; "
                    "non-square images are center-cropped)")


def images_from_array(a: np.ndarray, where: str) -> torch.Tensor:
    """[N, H, W], [N, H, W, C] or [N, C, H, W] (C in 1, 3, 4) -> float [N, C, H, W] in [-1, 1]; float
    arrays in [0, 1] are rescaled with a notice."""
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
    low, high = float(x.min()), float(x.max())
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        hint = "; divide 0..255 pixels by 255 first" if high <= 255 and low >= 0 else ""
        raise DataError(f"{where}: float images must lie in [-1, 1] or [0, 1], found [{low:.3g}, {high:.3g}]{hint}")
    if low >= 0.0:
        notice(f"{where}: float images in [0, 1] (found [{low:.3g}, {high:.3g}]) rescaled to [-1, 1]")
        return x * 2.0 - 1.0
    return x


MAX_NPZ_BYTES = 1 << 33  # 8 GiB: a compressed .npz member may unpack to at most this much


def read_npz(path: Path, where: str) -> dict[str, np.ndarray]:
    """Every array of an .npz (no pickles), each header's size checked first; a file of another format gets an
    error naming what it looks like."""
    if path.is_dir():
        raise DataError(f"{where}: a folder, expected an .npz file (numpy.savez); for a folder of images use "
                        f"data.name=folder:{path}")
    if not path.exists():
        raise DataError(f"{where}: no such file")
    try:
        check_npz_sizes(path, where)
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files} if isinstance(f, np.lib.npyio.NpzFile) else None
        if arrays is None or not all(isinstance(a, np.ndarray) for a in arrays.values()):
            raise ValueError("members that are not .npy arrays")
        return arrays
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        kind = looks_like(path)
        if kind:
            raise DataError(f"{where}: not an .npz file; it looks like {kind}") from None
        objects = "pickle" in str(err) and zipfile.is_zipfile(path)
        reason = "it holds Python objects, which gankit never unpickles" if objects else \
            " ".join(str(err).split()) or type(err).__name__
        raise DataError(f"{where}: not a readable .npz file ({reason})") from None


def check_npz_sizes(path: Path, where: str) -> None:
    """Each .npy member's header against what the file can hold (a stored member: the file's own size; a
    compressed one: MAX_NPZ_BYTES), before numpy allocates what the header asks."""
    if not zipfile.is_zipfile(path):
        return  # np.load names the problem
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with z.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0  # 2.0 and 3.0 share the 4-byte header length
                shape, _, dtype = read_header(f)
            if dtype.hasobject:
                continue  # refused by np.load without pickles
            size = math.prod(shape) * dtype.itemsize
            limit = path.stat().st_size if info.compress_type == zipfile.ZIP_STORED else MAX_NPZ_BYTES
            if size > limit:
                raise DataError(f"{where}: array {info.filename[:-4]!r} says shape {list(shape)} {dtype} "
                                f"({size} bytes), more than {'the file holds' if limit < MAX_NPZ_BYTES else f'{MAX_NPZ_BYTES} bytes'}")


@DATASETS.register("npz")
def npz_arrays(arg: str, resolution: int = 0) -> TensorDataset:
    """Array `x` (else the first array) of vectors [N, d] or images, with optional integer labels `y`."""
    where = f"npz:{arg}"
    arrays = read_npz(Path(arg).expanduser(), where)
    if not arrays:
        raise DataError(f"{where}: the file holds no arrays")
    key = "x" if "x" in arrays else next(iter(arrays))
    a = arrays[key]
    where = f"npz:{arg} array {key!r}"
    check_numbers(a, where)
    if a.ndim < 2 or a.ndim > 4 or len(a) == 0:
        raise DataError(f"{where}: expected [N, d] vectors or [N, H, W(, C)] images, got shape {list(a.shape)}")
    if a.ndim == 2:
        x, bounded, metrics = torch.from_numpy(np.ascontiguousarray(a)).float(), False, ()
    else:
        check_resolution(resolution, where)
        x, bounded, metrics = fit_square(images_from_array(a, where), resolution), True, IMAGE_METRICS
    y = labels_array(arrays.get("y"), len(x), f"npz:{arg} array 'y'") if key != "y" else None
    num_classes = class_count(y, f"npz:{arg} array 'y'")
    spec = DataSpec(f"npz:{arg}", tuple(x.shape[1:]), num_classes=num_classes, bounded=bounded, metrics=metrics)
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


def labels_array(y: np.ndarray | None, n: int, where: str) -> torch.Tensor | None:
    return None if y is None else checked_labels(y, n, where)
