"""The speed options against each other: ms per training iteration of one preset or recipe under several sets
of overrides (train.channels_last, train.precision, train.compile, train.threads, ...), each variant its own
trainer, timed interleaved in one process (the order rotates per repeat, so a busy spell of the machine
falls on every variant alike). The first round is a warm-up off the clock: compiling happens there."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch

DEFAULT = "default"  # the variant without overrides, against which the others' ratios are given


def options_trainer(workdir: Path, preset: str | None, sets: tuple[str, ...]):
    """A trainer of the preset or recipe with the overrides, writing nothing at intervals (no loss lines,
    pictures, evaluations or checkpoints): the iteration alone is timed."""
    from ..api import build_run_config, trainer_for

    quiet = ["log.progress=false", "log.log_every=1000000", "log.sample_every=0", "log.eval_every=0",
             "log.checkpoint_every=1000000", f"out_dir={workdir}"]
    return trainer_for(build_run_config(preset, sets=[*sets, *quiet]), workdir / "options")


def run_options(preset: str | None, variants: dict[str, tuple[str, ...]], sets: tuple[str, ...] = (),
                repeats: int = 5, iterations: int = 5) -> dict[str, dict[str, float]]:
    """{variant: {"ms": median ms per iteration, "ratio": that / the default variant's}} for `variants` (name ->
    overrides on top of `sets`), plus a default variant with none when not given."""
    variants = {DEFAULT: (), **variants}
    threads = torch.get_num_threads()  # building a trainer sets its config's train.threads
    try:
        with tempfile.TemporaryDirectory() as tmp:
            trainers = {name: options_trainer(Path(tmp) / str(i), preset, (*sets, *extra))
                        for i, (name, extra) in enumerate(variants.items())}
            times = interleaved(trainers, repeats, iterations, threads)
    finally:
        torch.set_num_threads(threads)
    return {name: {"ms": ms, "ratio": ms / times[DEFAULT]} for name, ms in times.items()}


def interleaved(trainers: dict, repeats: int, iterations: int, default_threads: int) -> dict[str, float]:
    """Median ms per iteration of each trainer, on its config's thread count (0: default_threads)."""
    names = list(trainers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats + 1):
        for name in names[r % len(names):] + names[: r % len(names)]:
            trainer = trainers[name]
            torch.set_num_threads(trainer.cfg.train.threads or default_threads)
            start = time.perf_counter()
            for _ in range(iterations):
                trainer.train_iteration()
            if r:  # round 0 warms up (and compiles)
                samples[name].append((time.perf_counter() - start) / iterations * 1000)
    return {name: statistics.median(v) for name, v in samples.items()}


def print_options(results: dict[str, dict[str, float]]) -> None:
    print(f"{'variant':32s}{'ms / iteration':>16s}{'vs default':>12s}")
    for name, row in results.items():
        print(f"{name:32s}{row['ms']:16.1f}{row['ratio']:11.2f}x")
