"""Pictures: image grids with Pillow, and 2-D samples over the critic's landscape with matplotlib."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from .errors import ConfigError
from .files import write_atomic

MIN_CELL = 32  # small images (8x8 digits) are enlarged to at least this many pixels per cell


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] -> uint8 [N, H, W, 3], [N, H, W, 4] for RGBA (PNGs keep the alpha) or [N, H, W]
    for one channel."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    c = x.shape[1]
    if c == 1:
        return x[:, 0].numpy()
    if c == 4:
        return x.permute(0, 2, 3, 1).numpy()
    if c == 2:  # no natural colour: show the two channels as red and green
        x = torch.cat([x, torch.zeros_like(x[:, :1])], dim=1)
    return x[:, :3].permute(0, 2, 3, 1).numpy()


def image_grid(x: torch.Tensor, nrow: int | None = None, pad: int = 1) -> Image.Image:
    """Tiles images [N, C, H, W] in rows of `nrow` (default: square), enlarged to >= MIN_CELL px."""
    arr = to_uint8(x)
    n, h, w = arr.shape[:3]
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol_rows = math.ceil(n / nrow)
    shape = (ncol_rows * (h + pad) + pad, nrow * (w + pad) + pad) + arr.shape[3:]
    canvas = np.full(shape, 128, dtype=np.uint8)
    if arr.ndim == 4 and arr.shape[3] == 4:
        canvas[..., 3] = 255  # opaque grey lines between transparent cells
    for i in range(n):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = arr[i]
    scale = max(1, math.ceil(MIN_CELL / h))
    im = Image.fromarray(canvas)
    return im.resize((im.width * scale, im.height * scale), Image.NEAREST) if scale > 1 else im


def save_png(im: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: im.save(tmp, format="PNG"))


def save_picture(im: Image.Image, path: Path, quality: int | None = None) -> None:
    """The picture in the format its suffix names (every format Pillow writes; lossy ones at `quality`,
    default picture_formats.LOSSY_QUALITY), written atomically."""
    from .picture_formats import LOSSY_QUALITY, grid_mode, pillow_format, save_options

    fmt = pillow_format(path)
    if fmt is None:
        raise ConfigError(f"{path}: Pillow writes no picture as {Path(path).suffix or 'a file without a suffix'}")
    quality = quality or LOSSY_QUALITY
    mode = grid_mode(fmt, 1 if im.mode == "L" else 3, quality)
    im = im if im.mode == mode else im.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: im.save(tmp, format=fmt, **save_options(fmt, quality)))


def save_image_grid(x: torch.Tensor, path: Path, nrow: int | None = None, quality: int | None = None) -> None:
    """A grid of images [N, C, H, W] in the format of the path's suffix (.png, .jpg, .webp, ...)."""
    save_picture(image_grid(x, nrow), Path(path), quality)


def plot_bounds(fake: torch.Tensor, real: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) corners of a 2-D plot holding every point with a margin."""
    pts = fake if real is None else torch.cat([fake, real])
    lo, hi = pts.min(0).values.numpy(), pts.max(0).values.numpy()
    margin = 0.15 * (hi - lo).max() + 1e-3
    return lo - margin, hi + margin


def critic_grid(lo: np.ndarray, hi: np.ndarray, critic: Callable[[torch.Tensor], torch.Tensor]) -> tuple:
    """(gx, gy, values): the critic on a 120 x 120 grid over the plot, for its contour map."""
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    with torch.no_grad():
        values = critic(grid).reshape(gx.shape).cpu().numpy()
    return gx, gy, values


def plot_points(fake: torch.Tensor, path: Path, real: torch.Tensor | None = None,
                critic: Callable[[torch.Tensor], torch.Tensor] | None = None, title: str = "",
                landscape: tuple | None = None, quality: int | None = None) -> None:
    """Generated (blue) and real (orange) 2-D points over the critic's contour map when one is given (as a
    callable, or as the `critic_grid` values computed beforehand). Draws without pyplot, so it may run on
    a thread of its own while training goes on."""
    from matplotlib.figure import Figure

    lo, hi = plot_bounds(fake, real)
    if critic is not None and landscape is None:
        landscape = critic_grid(lo, hi, critic)
    fig = Figure(figsize=(6, 6), dpi=100)
    ax = fig.subplots()
    if landscape is not None:
        cs = ax.contourf(*landscape, levels=30, cmap="viridis", alpha=0.8)
        fig.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="critic value")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, c="royalblue", label="generated", alpha=0.5)
    if real is not None:  # on top and smaller, so both stay visible where they overlap
        ax.scatter(real[:, 0], real[:, 1], s=1, c="orange", label="real", alpha=0.9)
    save_square_plot(fig, ax, lo, hi, title, path, markerscale=4, quality=quality)


def save_square_plot(fig, ax, lo, hi, title: str, path: Path, markerscale: float, quality: int | None = None) -> None:
    """Equal axes over [lo, hi], legend and title, then the picture written atomically in the format of the
    path's suffix (PNG, PDF, SVG, JPEG at `quality`, ...; 2-D pictures)."""
    from .picture_formats import LOSSY_QUALITY, PLOT_QUALITY_FORMATS, plot_format

    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=markerscale)
    ax.set_title(title)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fmt = plot_format(path) or "png"
    options = {"pil_kwargs": {"quality": quality or LOSSY_QUALITY}} if fmt in PLOT_QUALITY_FORMATS else {}
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format=fmt, bbox_inches="tight", **options))


class Painter:
    """Draws pictures on one thread of its own, so a 2-D plot's contour map and PNG encoding stay off the
    training loop; wait() blocks until every picture is written (and raises what a drawing raised)."""

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gankit-plot")
        self.pending: list = []

    def submit(self, draw: Callable, *args, **kwargs) -> None:
        self.pending.append(self.pool.submit(draw, *args, **kwargs))

    def wait(self) -> None:
        pending, self.pending = self.pending, []
        for job in pending:
            job.result()
