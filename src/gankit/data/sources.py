"""What `gankit data convert` reads: a folder (class subfolders give labels), a dataset ZIP, an .npz of
arrays, or a tar archive (an emoji-datasource npm tarball gets its category labels). Each becomes an
ImageSource: names, a way to open the i-th image, labels and class names, and what was skipped."""
from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from PIL import Image

from ..errors import DataError
from .decode import EncodedImages, is_image_name


@dataclass
class ImageSource:
    where: str
    names: list[str]
    open: Callable[[int], Image.Image]       # the i-th image, decoded lazily; DataError when unreadable
    labels: list[int] | None = None
    classes: list[str] | None = None
    skipped: list[str] = field(default_factory=list)  # files that are not images

    def __len__(self) -> int:
        return len(self.names)


def subfolder_labels(names: list[str]) -> tuple[list[int] | None, list[str] | None]:
    """Labels when every image lies in one of >= 2 top-level subfolders (sorted names give the indices)."""
    classes = sorted({n.split("/")[0] for n in names if "/" in n})
    if len(classes) < 2 or any("/" not in n for n in names):
        return None, None
    index = {c: i for i, c in enumerate(classes)}
    return [index[n.split("/")[0]] for n in names], classes


def folder_source(root: Path) -> ImageSource:
    from .images import files_below

    where = f"{root}"
    files = [p.relative_to(root).as_posix() for p in files_below(root, where)]
    names = [f for f in files if is_image_name(f)]
    labels, classes = subfolder_labels(names)
    images = EncodedImages(where, names, root=root)
    return ImageSource(where, names, images.open, labels, classes, [f for f in files if not is_image_name(f)])


def zip_source(path: Path) -> ImageSource:
    from .archives import zip_labels

    where = str(path)
    with zipfile.ZipFile(path) as z:
        members = [n for n in z.namelist() if not n.endswith("/")]
        names = sorted(n for n in members if is_image_name(n))
        labels = zip_labels(z, names, where)
        meta = json.loads(z.read("dataset.json")) if "dataset.json" in members else {}
    skipped = [n for n in members if not is_image_name(n) and n != "dataset.json"]
    classes = meta.get("classes") if isinstance(meta, dict) else None
    if labels is not None and not classes:
        classes = [str(i) for i in range(int(labels.max()) + 1)]
    images = EncodedImages(where, names, zip_path=path)
    return ImageSource(where, names, images.open, None if labels is None else labels.tolist(), classes, skipped)


def npz_source(path: Path) -> ImageSource:
    from .images import images_from_array, labels_array, read_npz

    where = str(path)
    arrays = read_npz(path, where)
    key = "x" if "x" in arrays else next(iter(arrays), None)
    if key is None or arrays[key].ndim not in (3, 4):
        raise DataError(f"{where}: expected images [N, H, W(, C)] in array 'x'")
    x = images_from_array(arrays[key], f"{where} array {key!r}")  # [N, C, H, W] in [-1, 1]
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    y = labels_array(arrays.get("y"), len(x), f"{where} array 'y'") if key != "y" else None
    modes = {1: "L", 3: "RGB", 4: "RGBA"}

    def open_array(i: int) -> Image.Image:
        a = pixels[i]
        return Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a, modes[a.shape[-1]])

    labels = None if y is None else y.tolist()
    classes = None if y is None else [str(i) for i in range(int(y.max()) + 1)]
    return ImageSource(where, [f"{key}[{i}]" for i in range(len(x))], open_array, labels, classes)


def tar_source(path: Path) -> ImageSource:
    """Images of a tar archive, read in memory; an emoji-datasource tarball gives its category labels."""
    where = str(path)
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            if "package/emoji.json" in members:
                return emoji_tar_source(path, members)
            data = {n: tar.extractfile(m).read() for n, m in sorted(members.items()) if is_image_name(n)}
    except tarfile.TarError as err:
        raise DataError(f"{where}: not a readable tar archive ({err})") from None
    names = list(data)
    labels, classes = subfolder_labels(names)
    opener = bytes_opener(where, names, [data[n] for n in names])
    return ImageSource(where, names, opener, labels, classes, [n for n in members if not is_image_name(n)])


def emoji_tar_source(path: Path, members: dict) -> ImageSource:
    from .emoji import read_emoji_tarball

    vendors = sorted({n.split("/")[2] for n in members if n.startswith("package/img/") and "/64/" in n})
    if len(vendors) != 1:
        raise DataError(f"{path}: expected the 64px images of one vendor under package/img/<vendor>/64/, found "
                        f"{', '.join(vendors) or 'none'}")
    items = read_emoji_tarball(path, vendors[0])
    classes = sorted({category for _, _, category in items})
    index = {c: i for i, c in enumerate(classes)}
    names = [name for name, _, _ in items]
    opener = bytes_opener(str(path), names, [data for _, data, _ in items])
    return ImageSource(str(path), names, opener, [index[c] for _, _, c in items], classes)


def bytes_opener(where: str, names: list[str], blobs: list[bytes]) -> Callable[[int], Image.Image]:
    def open_bytes(i: int) -> Image.Image:
        try:
            return Image.open(io.BytesIO(blobs[i]))
        except OSError as err:
            raise DataError(f"{where}: {names[i]} is not a readable image ({err.__class__.__name__})") from None

    return open_bytes


def open_source(src: Path) -> ImageSource:
    """The reader SRC's kind calls for (a folder, .zip, .npz, .tar / .tgz / .tar.gz)."""
    src = Path(src).expanduser()
    name = src.name.lower()
    if src.is_dir():
        return folder_source(src)
    if not src.is_file():
        raise DataError(f"{src}: no such file or folder")
    if name.endswith(".npz"):
        return npz_source(src)
    if zipfile.is_zipfile(src):
        return zip_source(src)
    if tarfile.is_tarfile(src):
        return tar_source(src)
    raise DataError(f"{src}: expected a folder of images, a .zip, an .npz or a tar archive (.tar, .tgz, .tar.gz)")
