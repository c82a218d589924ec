"""`gankit bench gallery`: one picture per benchmark entry from its run's final checkpoint (EMA generator), on the
same fixed noise for every entry, and one of real images: the T3 gallery of docs/figures/t3-*.png.

A sampling run gives an 8x8 grid of samples; a class-conditional one a row per class (the row's class on the same 8
noise draws); a run that cannot sample (a VQ-VAE without a prior) its reconstructions of the real grid's images
(rows of originals, each followed by its reconstructions). Entries with an encoder get a second picture,
<task>-<entry>-reconstructions.png. Cells are the data's own pixels (32x32 emoji: 256x256 px for 8x8), no padding."""
from __future__ import annotations

from pathlib import Path

import torch


COLUMNS, ROWS, Z_SEED, REAL_SEED = 8, 8, 0, 0


def grid_picture(images: torch.Tensor, path: Path) -> Path:
    """Writes images [N, C, H, W] in [-1, 1] as rows of COLUMNS with no border, at their own size."""
    from ..viz import image_grid, save_picture

    save_picture(image_grid(images, nrow=COLUMNS, pad=0), path)  # atomically, as every picture gankit writes
    return path


def is_conditional(exp) -> bool:
    """Whether the run's sampling asks for classes (the objective says so through requested_classes)."""
    return exp.objective.requested_classes(exp.objective.sample_z(1)) is not None


def fixed_noise_samples(exp) -> torch.Tensor:
    """ROWS x COLUMNS samples of the EMA generator (where there is one) on noise seeded Z_SEED; a conditional run
    gives one row per class on the same COLUMNS draws."""
    objective = exp.objective
    if not is_conditional(exp):
        return exp.generate(objective.sample_z(ROWS * COLUMNS, torch.Generator().manual_seed(Z_SEED)), exp.has_ema)
    z = objective.sample_z(COLUMNS, torch.Generator().manual_seed(Z_SEED))
    rows = [objective.with_class(z, c) for c in range(exp.spec.num_classes)]
    return exp.generate(torch.cat(rows), exp.has_ema)


def reconstruction_rows(exp, real: torch.Tensor) -> torch.Tensor:
    """Rows of COLUMNS originals, each followed by the row of their reconstructions (ROWS rows in all)."""
    originals = real[: ROWS // 2 * COLUMNS]
    rebuilt = exp.reconstruct(originals, exp.has_ema)
    pairs = [torch.cat([originals[i : i + COLUMNS], rebuilt[i : i + COLUMNS]]) for i in range(0, len(originals), COLUMNS)]
    return torch.cat(pairs)


def real_images(dataset) -> torch.Tensor:
    return dataset.sample(ROWS * COLUMNS, torch.Generator().manual_seed(REAL_SEED))


def entry_pictures(run_dir: Path, name: str, figures: Path, real: torch.Tensor) -> list[Path]:
    """The pictures of one trained run: its samples (or, if it cannot sample, its reconstructions), and its
    reconstructions too where it has an encoder."""
    from ..api import load

    exp = load(run_dir).experiment
    caps = exp.objective.capabilities
    with torch.no_grad():
        main = fixed_noise_samples(exp) if caps.samples else reconstruction_rows(exp, real)
        paths = [grid_picture(main, figures / f"{name}.png")]
        if caps.samples and caps.encoder:
            paths.append(grid_picture(reconstruction_rows(exp, real), figures / f"{name}-reconstructions.png"))
    return paths


def write_gallery(records: list[dict], task: str, figures: Path, dataset, seed: int = 0) -> list[Path]:
    """<task>-real.png and <task>-<entry>.png for every record of `task` and `seed` (sorted by entry)."""
    figures.mkdir(parents=True, exist_ok=True)
    real = real_images(dataset)
    paths = [grid_picture(real, figures / f"{task}-real.png")]
    for record in sorted((r for r in records if r["task"] == task and r["seed"] == seed), key=lambda r: r["entry"]):
        paths += entry_pictures(Path(record["run_dir"]), f"{task}-{record['entry']}", figures, real)
    return paths
