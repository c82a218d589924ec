"""`gankit bench threads`: time of one digits training iteration (the default preset, a DCGAN) per torch thread
setting, on an idle machine and while a competing 2-thread CPU job (started here) shares the cores.
run_threads(preset=..., sets=...) times another workload the same way, e.g. the sngan recipe on 32x32 emoji.

It decides the default of train.threads: intra-op threads help a little when the cores are free and
collapse when another job wants them (threads spin and wait on each other)."""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

COMPETING_JOB = ("import torch\ntorch.set_num_threads(2)\na = torch.randn(768, 768)\n"
                 "while True:\n    a = (a @ a).tanh()\n")  # two busy threads, as a second training run would be


def threads_trainer(workdir: Path, preset: str | None = None, sets: tuple[str, ...] = ()):
    """A trainer of the preset or recipe (the default preset when None) with --set style overrides; its
    train.threads is 0, so that the thread count each timing sets stays."""
    from ..api import build_run_config, trainer_for

    cfg = build_run_config(preset, sets=[*sets, "log.progress=false", f"out_dir={workdir}", "train.threads=0"])
    return trainer_for(cfg, workdir / "threads")


def time_settings(trainer, settings: dict[str, int], repeats: int, iterations: int) -> dict[str, float]:
    """Median ms per iteration for each named thread count, interleaved (the order rotates per repeat)."""
    names = list(settings)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats + 1):
        for name in names[r % len(names):] + names[: r % len(names)]:
            torch.set_num_threads(settings[name])
            start = time.perf_counter()
            for _ in range(iterations):
                trainer.train_iteration()
            if r:  # the first round warms up
                times[name].append((time.perf_counter() - start) / iterations * 1000)
    return {name: statistics.median(v) for name, v in times.items()}


def run_threads(repeats: int = 3, iterations: int = 10, preset: str | None = None,
                sets: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
    """{'idle' | 'competing 2-thread job': {setting: ms per iteration}} for 1 thread, 2 threads, and torch's
    default (all cores), on the default preset or the one named (with overrides, e.g. data.name=emoji)."""
    default = torch.get_num_threads()
    settings = {"1 thread": 1, "2 threads": 2, f"torch default ({default})": default}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        trainer = threads_trainer(Path(tmp), preset, sets)
        out["idle"] = time_settings(trainer, settings, repeats, iterations)
        job = subprocess.Popen([sys.executable, "-c", COMPETING_JOB])
        try:
            time.sleep(1.0)  # let it start spinning
            out["competing 2-thread job"] = time_settings(trainer, settings, repeats, iterations)
        finally:
            job.kill()
            job.wait()
    torch.set_num_threads(default)
    return out


def print_threads(results: dict[str, dict[str, float]]) -> None:
    settings = list(next(iter(results.values())))
    print(f"{'ms per iteration':28s}" + "".join(f"{s:>22s}" for s in settings))
    for condition, row in results.items():
        print(f"{condition:28s}" + "".join(f"{row[s]:22.1f}" for s in settings))
