"""Helpers shared by the command modules: argument types, common options, tables, .npz output."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError
from ..train.checkpoint import write_atomic


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, or numpy appends .npz to the temporary name
            np.savez(f, **arrays)

    write_atomic(path, write)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def add_generator_options(p: argparse.ArgumentParser) -> None:
    """Options of every command that draws from a trained generator."""
    p.add_argument("--seed", type=int, default=0, help="seed of the latent codes (default 0)")
    p.add_argument("--no-ema", action="store_true", help="use the trained generator instead of its EMA copy")
    p.add_argument("--device", default=None, help="torch device (default: the run's)")


def add_chain_option(p: argparse.ArgumentParser) -> None:
    """Where an energy model's sampling chains start (sample, eval, refine)."""
    p.add_argument("--chains-from", choices=["noise", "buffer"], default=None,
                   help="ebm runs: start the sampling chains from uniform noise or from replay-buffer states "
                        "(default: the run's objective.options.sample_from)")


def apply_chain_option(exp, value: str | None) -> None:
    if value is None:
        return
    if not hasattr(exp.objective, "sample_from"):
        raise ConfigError(f"--chains-from: objective {exp.cfg.objective.name!r} does not sample by Langevin chains "
                          "(only ebm does)")
    exp.objective.sample_from = value


def add_run_and_data(p: argparse.ArgumentParser, data_help: str) -> None:
    """The run to load and the dataset to read, as encode, reconstruct and interpolate take them."""
    p.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a checkpoint or run directory")
    p.add_argument("--data", help=data_help)


def data_for(exp, name: str | None, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(x, labels or None) from dataset `name` (default: the run's own) at the run's resolution: the first n
    items of a finite dataset in its order (all of them for n = 0), or n fresh draws."""
    from ..data import load_dataset
    from ..data.base import TensorDataset

    dataset = load_dataset(name or exp.cfg.data.name, exp.cfg.data.resolution)
    if dataset.spec.shape != exp.spec.shape:
        raise ConfigError(f"--data {dataset.spec.name} gives items of shape {list(dataset.spec.shape)}; "
                          f"this run's generator makes {list(exp.spec.shape)}")
    if isinstance(dataset, TensorDataset):
        n = n or len(dataset)
        return dataset.x[:n], None if dataset.labels is None else dataset.labels[:n]
    return dataset.sample(n or 1000, torch.Generator().manual_seed(seed)), None


def print_table(rows: dict[str, dict]) -> None:
    """One row per entry, one column per metric (strings such as the evaluator version go below)."""
    first = next(iter(rows.values()))
    numeric = [k for k, v in first.items() if not isinstance(v, str)]
    width = max([len(r) for r in rows] + [6])
    print(f"{'':<{width}}  " + "  ".join(f"{k.split('/')[-1]:>10}" for k in numeric))
    for name, row in rows.items():
        print(f"{name:<{width}}  " + "  ".join(f"{row[k]:>10.4g}" for k in numeric))
    for k, v in first.items():
        if isinstance(v, str):
            print(f"{k}: {v}")
