"""Pixel values of every image mode Pillow reads, converted to [0, 1] by one stated rule per mode, and the
channel layout a dataset keeps (as its files have it: gray or colour, with or without alpha).

The rules (also in the line printed at load time):
  8-bit modes (1, L, LA, P, PA, RGB, RGBA, CMYK, YCbCr, ...): value / 255 after Pillow's conversion to the
      dataset's layout (1 -> 0 or 255; P through its palette; CMYK, YCbCr, LAB, HSV -> RGB);
  16-bit gray (I;16, I;16B, I;16L, I;16N): value / 65535, so 65535 is white and 32768 mid-gray (scaled,
      never clipped to 8 bits); 16-bit RGB PNGs are given by Pillow as 8-bit RGB (its top byte), read as such;
  32-bit integer gray (I): value / 65535 when every value lies in 0..65535 (16-bit data, as PNG and TIFF
      readers store it), else refused naming the range found;
  float gray (F): taken as [0, 1]; values outside it are refused naming the range found.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from PIL import Image

from ..errors import DataError

SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
WIDE_MODES = SIXTEEN_BIT + ("I", "F")  # gray modes of more than 8 bits, converted without Pillow's clipping
COLOR_MODES = ("RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA")
ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
LAYOUTS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # channels -> the Pillow mode of that layout
FLOAT_SLACK = 1e-6  # float pixels this far outside [0, 1] are rounding, not another range


def has_alpha(im: Image.Image) -> bool:
    return im.mode in ALPHA_MODES or (im.mode in ("P", "L", "RGB") and "transparency" in im.info)


def channels_of(im: Image.Image) -> int:
    """The channels the image has as a file: gray 1, gray + alpha 2, colour 3, colour + alpha 4."""
    return (3 if im.mode in COLOR_MODES else 1) + (1 if has_alpha(im) else 0)


def common_channels(counts: list[int]) -> int:
    """The layout holding every image without loss: colour if any is colour, alpha if any has alpha."""
    color = any(c >= 3 for c in counts)
    alpha = any(c in (2, 4) for c in counts)
    return (3 if color else 1) + (1 if alpha else 0)


def rule(mode: str) -> str:
    """How a mode's values become [0, 1], in words."""
    if mode in SIXTEEN_BIT:
        return "16-bit, /65535"
    if mode == "I":
        return "32-bit integer, /65535"
    if mode == "F":
        return "float, taken as [0, 1]"
    return "8-bit, /255"


def wide_values(im: Image.Image, where: str) -> np.ndarray:
    """A 16-bit, 32-bit integer or float gray image as float32 [H, W] in [0, 1], by the mode's rule."""
    a = np.asarray(im)
    if im.mode == "F":
        a = a.astype(np.float32)
        low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        if not np.isfinite(a).all():
            raise DataError(f"{where}: float pixels include NaN or inf; gankit reads float images as [0, 1]")
        if low < -FLOAT_SLACK or high > 1 + FLOAT_SLACK:
            raise DataError(f"{where}: float pixels lie in [{low:.6g}, {high:.6g}]; gankit reads float images (mode F) "
                            "as [0, 1]: rescale them to [0, 1]")
        return np.clip(a, 0.0, 1.0)
    a = a.astype(np.int64)
    low, high = (int(a.min()), int(a.max())) if a.size else (0, 0)
    if low < 0 or high > 65535:
        raise DataError(f"{where}: 32-bit integer pixels lie in {low}..{high}; gankit reads integer images (mode {im.mode}) "
                        "as 16-bit, 0..65535: rescale them to 16 bits")
    return (a / 65535.0).astype(np.float32)


def resized(a: np.ndarray, resolution: int) -> np.ndarray:
    """float [H, W, C] -> [R, R, C]: the shorter side resized to R (bicubic, per channel, in float), center crop."""
    h, w = a.shape[:2]
    if (w, h) == (resolution, resolution):
        return a
    scale = resolution / min(w, h)
    size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
    left, top = (size[0] - resolution) // 2, (size[1] - resolution) // 2
    box = (left, top, left + resolution, top + resolution)
    planes = [np.asarray(Image.fromarray(a[..., c], "F").resize(size, Image.BICUBIC).crop(box)) for c in range(a.shape[2])]
    return np.clip(np.stack(planes, -1), 0.0, 1.0)


def wide_to_layout(a: np.ndarray, channels: int) -> np.ndarray:
    """Gray [H, W] in [0, 1] -> [H, W, channels]: replicated to colour, alpha 1 (opaque) added."""
    planes = [a] * (3 if channels >= 3 else 1) + ([np.ones_like(a)] if channels in (2, 4) else [])
    return np.stack(planes, -1)


def signed_pixels(im: Image.Image, resolution: int, channels: int, where: str) -> np.ndarray:
    """Any image -> float32 [channels, R, R] in [-1, 1]: its mode's rule gives [0, 1], mapped linearly."""
    if im.mode in WIDE_MODES:
        a = resized(wide_to_layout(wide_values(im, where), channels), resolution)
        return a.transpose(2, 0, 1).astype(np.float32) * 2.0 - 1.0
    im = im.convert(LAYOUTS[channels])  # 8-bit: resized as 8-bit, as Pillow does
    w, h = im.size
    if (w, h) != (resolution, resolution):
        scale = resolution / min(w, h)
        im = im.resize((max(resolution, round(w * scale)), max(resolution, round(h * scale))), Image.BICUBIC)
        w, h = im.size
        left, top = (w - resolution) // 2, (h - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
    a = np.asarray(im)
    a = a[..., None] if a.ndim == 2 else a
    return a.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0  # the same float ops as for 8-bit arrays


def conversion_note(where: str, modes: Counter, channels: int, chosen: bool, probed: str = "") -> str | None:
    """The load-time line: the counts per mode, each with its rule, and the layout they became; None when
    every image was already 8-bit in the dataset's own layout (nothing converted)."""
    target = LAYOUTS[channels]
    if set(modes) <= {target} or (target == "L" and set(modes) <= {"L"}):
        return None
    parts = ", ".join(f"{n} {mode} ({rule(mode)})" for mode, n in sorted(modes.items(), key=lambda kv: -kv[1]))
    why = "data.channels" if chosen else "the files' own layout"
    return f"{where}: pixels read {probed}as {parts}; stored as {channels}-channel {target} ({why}) in [-1, 1]"
