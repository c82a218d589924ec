"""Pictures of sampler chains: trajectories over a 2-D critic / energy landscape, and an image chain's
states over its steps."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..viz import image_grid, save_png, save_square_plot


def plot_chains(states: torch.Tensor, path: Path, critic: Callable[[torch.Tensor], torch.Tensor] | None = None,
                real: torch.Tensor | None = None, title: str = "", max_paths: int = 24) -> None:
    """Chains' 2-D states [steps + 1, N, 2] as paths (start: grey dot, end: red dot) over the critic's
    contour map (high on real = low energy), with real points in orange."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    states = states.detach().cpu().float()
    pts = states.reshape(-1, 2) if real is None else torch.cat([states.reshape(-1, 2), real])
    lo, hi = pts.min(0).values.numpy(), pts.max(0).values.numpy()
    margin = 0.1 * (hi - lo).max() + 1e-3
    lo, hi = lo - margin, hi + margin
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    if critic is not None:
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
        grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
        with torch.no_grad():
            values = critic(grid).reshape(gx.shape).cpu().numpy()
        cs = ax.contourf(gx, gy, values, levels=30, cmap="viridis", alpha=0.8)
        fig.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="critic value (-energy)")
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=1, c="orange", alpha=0.6, label="real")
    paths = states[:, :max_paths].numpy()  # [steps + 1, n, 2]
    for i in range(paths.shape[1]):
        ax.plot(paths[:, i, 0], paths[:, i, 1], lw=0.7, c="white", alpha=0.8)
    ax.scatter(paths[0, :, 0], paths[0, :, 1], s=8, c="grey", label="chain start", zorder=3)
    ax.scatter(paths[-1, :, 0], paths[-1, :, 1], s=8, c="crimson", label="chain end", zorder=3)
    save_square_plot(fig, ax, lo, hi, title, path, markerscale=2)
    plt.close(fig)


def chain_grid(states: torch.Tensor, path: Path, chains: int = 8, columns: int = 11) -> None:
    """Image chains' states [steps + 1, N, C, H, W]: one row per chain, `columns` evenly spaced steps from
    the start (left) to the end (right)."""
    steps = states.shape[0] - 1
    picks = sorted({round(i * steps / max(columns - 1, 1)) for i in range(columns)})
    rows = states[picks][:, :chains].transpose(0, 1)  # [chains, columns, C, H, W]
    save_png(image_grid(rows.reshape(-1, *rows.shape[2:]), nrow=len(picks)), Path(path))
