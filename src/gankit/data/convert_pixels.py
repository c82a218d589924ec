"""The policy of `gankit data convert` (and the emoji build, and `gankit score`'s reading of image sets): one
decoded image -> square uint8 pixels at a stated resolution, the channels written (1, 3, or 4 with alpha), how a
non-square image becomes square (crop), and the background alpha is composited over. Loading a dataset for
training reads pixels by data/pixels.py's rules instead (channels as the files have them)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor

from ..errors import ConfigError

CROPS = ("center", "pad", "stretch")
NAMED_BACKGROUNDS = ("white", "black", "gray")
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
GRAY_MODES = ("L", "1", "I;16", "I;16B", "I;16L", "I", "LA")  # written as one channel when every image is one


@dataclass(frozen=True)
class PixelPolicy:
    resolution: int                      # side of the square output
    channels: int = 3                    # 1 (gray), 3 (RGB) or 4 (RGBA, alpha kept)
    crop: str = "center"                 # center | pad | stretch, for non-square images
    background: tuple[int, int, int] = (255, 255, 255)  # what transparent pixels (and padding) become

    def describe(self) -> str:
        alpha = "alpha kept" if self.channels == 4 else f"alpha over {background_name(self.background)}"
        return f"{self.resolution}x{self.resolution}, {self.channels} channel(s), {alpha}, crop {self.crop}, Lanczos"


def parse_background(text: str) -> tuple[int, int, int]:
    """'white', 'black', '#rrggbb' or 'r,g,b' (0..255 each) -> an RGB triple."""
    try:
        if "," in text:
            rgb = tuple(int(v) for v in text.split(","))
            if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
                raise ValueError
            return rgb
        return ImageColor.getrgb(text)[:3]
    except ValueError:
        raise ConfigError(f"--background {text!r}: expected white, black, #rrggbb or r,g,b with values 0..255") from None


def background_name(rgb: tuple[int, int, int]) -> str:
    names = {(255, 255, 255): "white", (0, 0, 0): "black"}
    return names.get(tuple(rgb), "#%02x%02x%02x" % tuple(rgb))


def plain_mode(im: Image.Image) -> Image.Image:
    """Palette, 16-bit, CMYK, LA, ... -> 'L', 'RGB' or 'RGBA' (RGBA exactly when the image has alpha).
    16-bit gray is scaled to 8 bits (value / 257), never clipped."""
    if im.mode in SIXTEEN_BIT_MODES:
        a = np.asarray(im).astype(np.float64)
        scale = 257.0 if im.mode != "I" or a.max() > 255 else 1.0
        return Image.fromarray(np.clip(np.rint(a / scale), 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La", "PA", "RGBa"):
        return im.convert("RGBA")
    if im.mode in ("L", "RGB", "RGBA"):
        return im
    return im.convert("L" if im.mode == "1" else "RGB")


def squared(im: Image.Image, crop: str, background: tuple[int, int, int]) -> Image.Image:
    """A non-square image made square: the central square (center), padded with the background, transparent
    where alpha is kept (pad), or left for the resize to stretch (stretch)."""
    w, h = im.size
    if w == h or crop == "stretch":
        return im
    side = min(w, h) if crop == "center" else max(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    if crop == "center":
        return im.crop((left, top, left + side, top + side))
    fill = {"L": int(round(np.mean(background))), "RGB": background, "RGBA": (*background, 0)}[im.mode]
    canvas = Image.new(im.mode, (side, side), fill)
    canvas.paste(im, (-left, -top))
    return canvas


def composited(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGBA over an opaque background -> RGB (other modes pass through)."""
    if im.mode != "RGBA":
        return im
    return Image.alpha_composite(Image.new("RGBA", im.size, (*background, 255)), im).convert("RGB")


def apply_policy(im: Image.Image, policy: PixelPolicy) -> np.ndarray:
    """uint8 [R, R] for one channel, else [R, R, C]. Resizing is Lanczos (Pillow premultiplies alpha)."""
    im = squared(plain_mode(im), policy.crop, policy.background)
    if im.size != (policy.resolution, policy.resolution):
        im = im.resize((policy.resolution, policy.resolution), Image.LANCZOS)
    if policy.channels == 4:
        return np.asarray(im.convert("RGBA"))
    im = composited(im, policy.background)
    return np.asarray(im.convert("L" if policy.channels == 1 else "RGB"))
