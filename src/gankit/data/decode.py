"""Encoded images (files in a folder, members of a ZIP) and their decoding to square pixel arrays."""
from __future__ import annotations

import io
import os
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..errors import DataError
from .pixels import composited, plain_mode

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
GRAY_MODES = ("L", "1", "I;16", "I;16B", "I;16L", "I", "LA")
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
MODE_PROBE = 1000  # images whose header decides grayscale vs RGB (evenly spaced over the set)


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
        self.keep_alpha = False  # True: RGBA data (a dataset ZIP whose dataset.json says "channels": 4)
        self._zip, self._pid = None, None

    def __len__(self) -> int:
        return len(self.names)

    def __getstate__(self):
        return {**self.__dict__, "_zip": None, "_pid": None}

    def read_bytes(self, i: int) -> bytes:
        if self.zip_path is None:
            return (self.root / self.names[i]).read_bytes()
        if self._zip is None or self._pid != os.getpid():
            self._zip, self._pid = zipfile.ZipFile(self.zip_path), os.getpid()
        return self._zip.read(self.names[i])

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

    def mode(self) -> str:
        """'RGBA' when alpha is kept, else 'L' when the probed images are all grayscale, else 'RGB'; images
        with alpha are then composited over white, said once."""
        if self.keep_alpha:
            return "RGBA"
        step = max(1, len(self) // MODE_PROBE)
        modes = [self.open(i).mode for i in range(0, len(self), step)]
        if any(m in ALPHA_MODES for m in modes):
            notice(f"{self.where}: images with alpha are composited over white (to keep alpha: gankit data "
                   "convert --channels 4, then zip:PATH)")
        return "L" if all(m in GRAY_MODES for m in modes) else "RGB"


def to_square(im: Image.Image, resolution: int, mode: str) -> np.ndarray:
    """Resizes the shorter side to `resolution` and center-crops; returns uint8 [H, W] or [H, W, C]. 16-bit and
    palette images are read as gankit data convert reads them; alpha is kept in mode RGBA, else over white."""
    im = plain_mode(im)
    im = im.convert("RGBA") if mode == "RGBA" else composited(im, (255, 255, 255)).convert(mode)
    w, h = im.size
    if (w, h) != (resolution, resolution):
        scale = resolution / min(w, h)
        im = im.resize((max(resolution, round(w * scale)), max(resolution, round(h * scale))), Image.BICUBIC)
        w, h = im.size
        left, top = (w - resolution) // 2, (h - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
    return np.asarray(im)


def decode(images: EncodedImages, i: int, resolution: int, mode: str) -> torch.Tensor:
    """The i-th image as uint8 [C, R, R]."""
    try:
        a = to_square(images.open(i), resolution, mode)
    except OSError as err:  # truncated files fail when the pixels are decoded
        raise DataError(f"{images.where}: {images.names[i]} is not a readable image ({err.__class__.__name__})") from None
    t = torch.from_numpy(a.copy())
    return t[None] if t.ndim == 2 else t.permute(2, 0, 1)


def to_unit_range(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float in [-1, 1]."""
    return pixels.float() / 127.5 - 1.0
