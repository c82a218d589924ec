"""Encoded images (files in a folder, members of a ZIP) and their decoding to square pixel arrays."""
from __future__ import annotations

import io
import os
import sys
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from ..errors import DataError
from .pixels import channels_of, common_channels, signed_pixels

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
MAX_IMAGE_BYTES = 1 << 28  # 256 MiB: one encoded image file (a 8192 x 8192 16-bit RGBA PNG is 512 MiB raw)
MODE_PROBE = 1000  # images whose headers decide the channel layout (evenly spaced over the set)


def notice(message: str) -> None:
    """A one-line note on stderr, for what gankit did on the user's behalf (skipped files, conversions)."""
    print(f"gankit: note: {message}", file=sys.stderr)


def is_image_name(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_SUFFIXES and not Path(name).name.startswith(".")


class EncodedImages:
    """Encoded images and how to open the i-th; picklable, so DataLoader workers can read them. A ZIP is
    opened once per process (a zipfile handle cannot cross a fork safely)."""

    def __init__(self, where: str, names: list[str], zip_path: Path | None = None, root: Path | None = None):
        self.where, self.names, self.zip_path, self.root = where, names, zip_path, root
        self._zip, self._pid = None, None

    def __len__(self) -> int:
        return len(self.names)

    def __getstate__(self):
        return {**self.__dict__, "_zip": None, "_pid": None}

    def read_bytes(self, i: int) -> bytes:
        """The i-th file's bytes; one larger than MAX_IMAGE_BYTES (on disk, or as a ZIP member's declared
        size, which bounds what zipfile reads) is refused before it is read."""
        if self.zip_path is None:
            path = self.root / self.names[i]
            self.check_size(i, path.stat().st_size)
            return path.read_bytes()
        if self._zip is None or self._pid != os.getpid():
            self._zip, self._pid = zipfile.ZipFile(self.zip_path), os.getpid()
        self.check_size(i, self._zip.getinfo(self.names[i]).file_size)
        return self._zip.read(self.names[i])

    def check_size(self, i: int, size: int) -> None:
        if size > MAX_IMAGE_BYTES:
            raise DataError(f"{self.where}: {self.names[i]} is {size} bytes, over the {MAX_IMAGE_BYTES} gankit reads "
                            "for one image")

    def open(self, i: int) -> Image.Image:
        """The i-th image, header read (pixels decoded on first use); one over Pillow's pixel limit is refused
        as a possible decompression bomb, not just warned about."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return Image.open(io.BytesIO(self.read_bytes(i)))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DataError(f"{self.where}: {self.names[i]} has over {Image.MAX_IMAGE_PIXELS} pixels, refused as a "
                            "possible decompression bomb") from None
        except PermissionError:
            raise DataError(f"{self.where}: {self.names[i]}: permission denied") from None
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f"{self.where}: {self.names[i]} is not a readable image ({err.__class__.__name__})") from None

    def layout(self) -> tuple[int, Counter]:
        """(channels, modes): the channel layout holding every probed image (pixels.common_channels) and the
        count of each Pillow mode among them."""
        step = max(1, len(self) // MODE_PROBE)
        images = [self.open(i) for i in range(0, len(self), step)]
        return common_channels([channels_of(im) for im in images]), Counter(im.mode for im in images)


def decode(images: EncodedImages, i: int, resolution: int, channels: int, modes: Counter | None = None) -> torch.Tensor:
    """The i-th image as float [C, R, R] in [-1, 1], by its mode's rule (pixels.py); its mode is counted in
    `modes` when given."""
    where = f"{images.where}: {images.names[i]}"
    im = images.open(i)
    if modes is not None:
        modes[im.mode] += 1
    try:
        a = signed_pixels(im, resolution, channels, where)
    except OSError as err:  # truncated files fail when the pixels are decoded
        raise DataError(f"{where} is not a readable image ({err.__class__.__name__})") from None
    except ValueError as err:  # a mode Pillow reads but cannot convert
        raise DataError(f"{where}: cannot convert its pixels ({err})") from None
    return torch.from_numpy(a)
