"""The file formats pictures are written in, chosen by the output's suffix: Pillow's writers for image grids,
matplotlib's for plots of 2-D points. Checked before any work, so a suffix nothing writes is refused at once."""
from __future__ import annotations

import io
from pathlib import Path

from .errors import ConfigError

LOSSY_QUALITY = 95  # quality of lossy pictures (JPEG, WebP, AVIF) unless told otherwise; Pillow's own default is 75
QUALITY_FORMATS = ("JPEG", "MPO", "WEBP", "AVIF")  # Pillow formats whose `quality` option sets how much is lost
PLOT_QUALITY_FORMATS = ("jpg", "jpeg", "webp", "avif")  # matplotlib hands these to Pillow with that option


def pillow_format(path: Path) -> str | None:
    """Pillow's name of the format it writes for this suffix (.jpg -> JPEG), or None when it has no writer."""
    from PIL import Image

    Image.init()
    fmt = Image.registered_extensions().get(Path(path).suffix.lower())
    return fmt if fmt in Image.SAVE else None


def plot_format(path: Path) -> str | None:
    """matplotlib's format name for this suffix (.pdf -> pdf), or None when it cannot save a figure so."""
    from matplotlib.backend_bases import FigureCanvasBase

    name = Path(path).suffix.lower().lstrip(".")
    return name if name in FigureCanvasBase.get_supported_filetypes() else None


def save_options(fmt: str, quality: int) -> dict:
    """Keyword arguments of Image.save: the quality of lossy formats, nothing for lossless ones."""
    return {"quality": quality} if fmt in QUALITY_FORMATS else {}


def grid_mode(fmt: str, channels: int, quality: int = LOSSY_QUALITY) -> str:
    """The Pillow mode a grid of `channels`-channel images is written in as `fmt`: its own (L for one channel,
    else RGB), or RGB where the format takes no grey images; a ConfigError when the format takes neither.
    Found by writing a 2 x 2 picture in memory, so what Pillow can write here is what is accepted."""
    from PIL import Image

    for mode in (["L"] if channels == 1 else []) + ["RGB"]:
        try:
            Image.new(mode, (2, 2)).save(io.BytesIO(), format=fmt, **save_options(fmt, quality))
            return mode
        except (OSError, ValueError, KeyError):
            continue
    raise ConfigError(f"Pillow cannot write a {'grey' if channels == 1 else 'colour'} image grid as {fmt} here; "
                      "choose .png, .jpg, .webp or .tif")


def check_picture_suffix(path: Path, option: str = "-o", extra: tuple[str, ...] = ()) -> None:
    """Before any work: a suffix that Pillow or matplotlib writes, or one of `extra` (.npz)."""
    if Path(path).suffix.lower() in extra or pillow_format(path) or plot_format(path):
        return
    raise ConfigError(f"{option} {path}: nothing here writes {Path(path).suffix or 'a file without a suffix'}; "
                      f"expected {' or '.join(extra) + ', or ' if extra else ''}a picture format such as .png, .jpg, "
                      ".webp, .tif, .pdf (every format Pillow writes)")


def check_grid_output(path: Path, channels: int, quality: int | None, option: str = "-o") -> str:
    """Before any sampling: the Pillow format an image grid goes to `path` in (a ConfigError when none does);
    a quality is accepted only for a lossy format."""
    fmt = pillow_format(path)
    if fmt is None:
        raise ConfigError(f"{option} {path}: Pillow writes no image grid as {Path(path).suffix or 'a file without a suffix'}; "
                          "choose .png, .jpg, .webp, .tif or another format Pillow writes")
    if quality is not None and fmt not in QUALITY_FORMATS:
        raise ConfigError(f"--quality: {fmt} is lossless; it applies to {', '.join(QUALITY_FORMATS)} pictures")
    grid_mode(fmt, channels, quality or LOSSY_QUALITY)
    return fmt


def check_plot_output(path: Path, quality: int | None, option: str = "-o") -> str:
    """Before any sampling: matplotlib's format for a plot of 2-D points at `path` (a ConfigError when none)."""
    fmt = plot_format(path)
    if fmt is None:
        raise ConfigError(f"{option} {path}: 2-D samples are drawn as a plot; matplotlib writes no "
                          f"{Path(path).suffix or 'file without a suffix'} (choose .png, .pdf, .svg, .jpg) or write .npz")
    if quality is not None and fmt not in PLOT_QUALITY_FORMATS:
        raise ConfigError(f"--quality: {fmt} is lossless; it applies to {', '.join(PLOT_QUALITY_FORMATS)} pictures")
    return fmt


def described(fmt: str, quality: int) -> str:
    """' (JPEG, quality 95)' for lossy formats, '' for lossless ones: what the user is told was written."""
    lossy = fmt.upper() in QUALITY_FORMATS or fmt in PLOT_QUALITY_FORMATS
    return f" ({fmt.upper()}, quality {quality})" if lossy else ""
