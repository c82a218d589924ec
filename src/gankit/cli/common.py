"""Helpers shared by the command modules: argument types, common options, tables, .npz output."""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import CheckpointError, ConfigError
from ..evaluation import dataset_of_run  # noqa: F401  (re-exported for the command modules)
from ..files import save_npz  # noqa: F401


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def count_or_all(text: str) -> int:
    """argparse type: 0 (all, or the command's default) or a number >= 1."""
    return 0 if text.strip() == "0" else positive_int(text)


def seed_int(text: str) -> int:
    """argparse type: a seed from 0 to MAX_SEED."""
    from ..config import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED}, got {value}")
    return value


MAX_SAMPLE_BYTES = 1 << 30  # samples are held in memory: refuse more than 1 GiB of them at once
MAX_GRID_IMAGES = 4096       # a PNG grid of more is unreadable and huge; write .npz instead


def check_sample_count(n: int, shape: tuple[int, ...], grid: bool = False) -> None:
    """A ConfigError when n samples of `shape` would not fit the limits (checked before any work)."""
    size = 4 * int(np.prod(shape))  # float32
    limit = MAX_SAMPLE_BYTES // size
    if n > limit:
        raise ConfigError(f"-n {n}: {n} samples of shape {list(shape)} take {n * size / 1e9:.3g} GB of memory; "
                          f"at most {limit} at once (1 GiB)")
    if grid and n > MAX_GRID_IMAGES:
        raise ConfigError(f"-n {n}: a picture grid holds at most {MAX_GRID_IMAGES} images; write -o FILE.npz for more")


def check_output(path: Path, suffixes: tuple[str, ...], option: str = "-o", make_folders: bool = False) -> Path:
    """Before any work: the output's suffix is one we write, and its folder exists (or, with make_folders,
    can be made) and is writable. Returns the path."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise ConfigError(f"{option} {path}: expected a file ending in {' or '.join(suffixes)}")
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; give a file name")
    folder = path.parent
    if not make_folders and not folder.exists():
        raise ConfigError(f"{option} {path}: no such folder {folder}")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the nearest existing ancestor is where a missing folder would be made
    if not folder.is_dir():
        raise ConfigError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: cannot write to {folder} (permission denied or read-only)")
    return path


def check_folder(path: Path, option: str) -> Path:
    """Before any work: `path` is a folder, or one that can be made (its nearest existing ancestor is a
    writable folder); the problem is named in words, not as errno text."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path}: a file, expected a folder")
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"{option} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: cannot write to {folder} (permission denied or read-only)")
    return path


def check_finite_generator(exp, z: torch.Tensor, use_ema: bool, checkpoint) -> None:
    """A few samples drawn first (on a forked RNG, so the real draw is unchanged): NaN or inf in them is refused
    naming the networks whose weights are not finite, rather than writing NaN pictures."""
    with torch.random.fork_rng():
        probe = exp.generate(z[:16], use_ema)
    if bool(torch.isfinite(probe).all()):
        return
    bad = [name for name, net in exp.networks(use_ema).items()
           if any(not bool(torch.isfinite(p).all()) for p in net.parameters())]
    which = "EMA " if use_ema else ""
    held = f"the {which}weights of {', '.join(bad)} hold NaN or inf" if bad else "the samples come out NaN or inf"
    raise CheckpointError(f"{checkpoint}: {held}; nothing written (a run that diverged: sample an earlier checkpoint"
                          f"{'' if use_ema else ', or drop --no-ema if the EMA copy is finite'})")


def add_generator_options(p: argparse.ArgumentParser) -> None:
    """Options of every command that draws from a trained generator."""
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the latent codes (default 0)")
    p.add_argument("--no-ema", action="store_true", help="use the trained generator instead of its EMA copy")
    p.add_argument("--device", default=None, help="torch device (default: the run's)")


def add_is_splits_option(p: argparse.ArgumentParser) -> None:
    """The Inception Score's split count (eval, refine --eval): recorded next to the value."""
    p.add_argument("--is-splits", type=positive_int, default=None, metavar="K",
                   help="Inception Score over K splits of consecutive samples (default 10, the convention of "
                        "openai/improved-gan, torch-fidelity and torchmetrics; 1: the whole set); at most one per "
                        "sample scored (digits metrics score 797)")


def add_chain_option(p: argparse.ArgumentParser) -> None:
    """Where an energy model's sampling chains start (sample, eval, refine)."""
    p.add_argument("--chains-from", choices=["noise", "buffer"], default=None,
                   help="ebm runs: start the sampling chains from uniform noise or from replay-buffer states "
                        "(default: the run's objective.options.sample_from)")


def add_sampler_steps_option(p: argparse.ArgumentParser) -> None:
    """A diffusion sampler's step count (sample, eval; refine's --steps are its own)."""
    p.add_argument("--steps", type=positive_int, default=None, metavar="N",
                   help="edm runs: the sampler's number of noise levels (Heun: 2N - 1 denoiser evaluations; default: "
                        "the run's objective.options.sample_steps)")


def apply_chain_option(exp, value: str | None, steps: int | None = None) -> None:
    """The sampling options where given: --chains-from (add_chain_option), --steps (add_sampler_steps_option)."""
    if value is not None:
        set_sampling_option(exp, "sample_from", value, "--chains-from")
    if steps is not None:
        set_sampling_option(exp, "sample_steps", steps, "--steps")


def set_sampling_option(exp, name: str, value, option: str) -> None:
    """Sets a sampling attribute the objective declares (capabilities.sampling_options); a ConfigError naming the
    objectives that declare it otherwise."""
    from ..objectives import names_with

    if name not in exp.objective.capabilities.sampling_options:
        raise ConfigError(f"{option}: objective {exp.cfg.objective.name!r} has no sampling option {name} (objectives "
                          f"that do: {names_with(lambda c: name in c.sampling_options)})")
    setattr(exp.objective, name, value)


def add_run_and_data(p: argparse.ArgumentParser, data_help: str) -> None:
    """The run to load and the dataset to read, as encode, reconstruct and interpolate take them."""
    p.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a checkpoint or run directory")
    p.add_argument("--data", help=data_help)


def data_for(exp, name: str | None, n: int, seed: int, run_dir: Path | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(x, labels or None) from dataset `name` (default: the run's own) at the run's resolution: the first n
    items of a finite dataset in its order (all of them for n = 0), or n fresh draws."""
    from ..data.base import TensorDataset

    check_sample_count(n, exp.spec.shape)
    dataset = dataset_of_run(exp, name, run_dir)
    if isinstance(dataset, TensorDataset):
        n = n or len(dataset)
        return dataset.x[:n], None if dataset.labels is None else dataset.labels[:n]
    return dataset.sample(n or 1000, torch.Generator().manual_seed(seed)), None


def print_table(rows: dict[str, dict]) -> None:
    """One row per entry, one column per metric (strings such as the evaluator version go below)."""
    from ..bench.quality import SKIP  # the conventions a record carries (sample counts, k, splits): not columns

    first = next(iter(rows.values()))
    numeric = [k for k, v in first.items() if not isinstance(v, str) and k.split("/")[-1] not in SKIP]
    width = max([len(r) for r in rows] + [6])
    print(f"{'':<{width}}  " + "  ".join(f"{k.split('/')[-1]:>10}" for k in numeric))
    for name, row in rows.items():
        print(f"{name:<{width}}  " + "  ".join(f"{row[k]:>10.4g}" for k in numeric))
    notes = [f"{k.split('/')[-1]} {v}" for k, v in first.items() if k not in numeric and not isinstance(v, str)]
    if notes:
        print("conventions: " + ", ".join(notes))
    for k, v in first.items():
        if isinstance(v, str):
            print(f"{k}: {v}")


def run_dir_of(meta: dict) -> Path:
    """The run directory of a loaded checkpoint (RUN/checkpoints/step-N.safetensors)."""
    return Path(meta["path"]).parent.parent
