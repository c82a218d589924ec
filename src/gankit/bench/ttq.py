"""Time to quality (benchmarks.md section 9): seconds on one thread from the start of training until the
digits FD (797 samples, evaluated every 250 steps) first reaches <= 5, for shipped presets as users run them
(EMA, samples and checkpoints at the preset's intervals) and, in the same run, for the plain hand-written
WGAN-GP loop of T2-WGAN-GP as the reference. The clock stops while FD is computed, on both sides."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from ..config import build_config, deep_merge
from ..metrics import DIGITS_SAMPLES, digits_metrics
from ..objectives.base import evaluating
from ..presets import load_preset
from .speed import pair_for
from .tasks import T2_BASE, T2_OBJECTIVES

THRESHOLD, EVAL_EVERY, MAX_STEPS = 5.0, 250, 6000
TTQ_PRESETS = ("digits-wgan-gp", "digits-sngan")  # digits-sngan ends at FD 2.45 (README results)
PLAIN = "plain WGAN-GP loop (T2 networks)"
GANKIT_T2 = "gankit, the same T2 WGAN-GP (EMA off, as the plain loop)"


def fd(samples: torch.Tensor) -> float:
    return float(digits_metrics(samples[:DIGITS_SAMPLES])["fd"])


def race(step_once, evaluate, threshold: float, eval_every: int, max_steps: int) -> dict:
    """Runs step_once until evaluate() (every eval_every steps, off the clock) is <= threshold."""
    elapsed, value = 0.0, float("nan")
    for step in range(1, max_steps + 1):
        start = time.perf_counter()
        step_once()
        elapsed += time.perf_counter() - start
        if step % eval_every == 0:
            with torch.random.fork_rng(devices=[]):
                value = evaluate()
            if value <= threshold:
                return {"seconds": elapsed, "step": step, "fd": value}
    return {"seconds": None, "step": None, "fd": value, "trained_seconds": elapsed}


def preset_race(preset: str, workdir: Path, threshold: float, eval_every: int, max_steps: int) -> dict:
    return config_race(load_preset(preset), preset, workdir, threshold, eval_every, max_steps)


def config_race(config: dict, name: str, workdir: Path, threshold: float, eval_every: int, max_steps: int,
                *overrides: str) -> dict:
    from tqdm import tqdm

    cfg = build_config(config, overrides=[
        "log.progress=false", "log.eval_every=0", f"log.eval_samples={DIGITS_SAMPLES}", f"out_dir={workdir}",
        f"train.steps={max_steps}", *overrides])
    trainer, _ = pair_for(cfg, workdir / name)
    trainer.open_run_dir()
    bar = tqdm(disable=True)

    def step_once():
        trainer.train_iteration()
        trainer.after_iteration(bar)

    return race(step_once, lambda: fd(trainer.exp.generate(trainer.eval_z)), threshold, eval_every, max_steps)


def plain_race(workdir: Path, threshold: float, eval_every: int, max_steps: int) -> dict:
    cfg = build_config(deep_merge(T2_BASE, T2_OBJECTIVES["wgan-gp"]), overrides=[
        f"out_dir={workdir}", f"log.eval_samples={DIGITS_SAMPLES}"])
    trainer, plain = pair_for(cfg, workdir / "plain")
    z = trainer.eval_z  # the evaluation noise gankit's own race scores: the same FD yardstick on both sides

    @torch.no_grad()
    def evaluate():
        with evaluating(plain.G):
            return fd(plain.G(z))

    return race(plain, evaluate, threshold, eval_every, max_steps)


def run_time_to_quality(presets=TTQ_PRESETS, threshold: float = THRESHOLD, eval_every: int = EVAL_EVERY,
                        max_steps: int = MAX_STEPS, threads: int = 1) -> dict[str, dict]:
    """{name: {seconds, step, fd, ratio to the plain loop}}; seconds None where FD never got there."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        rows = {PLAIN: plain_race(Path(tmp), threshold, eval_every, max_steps),
                GANKIT_T2: config_race(deep_merge(T2_BASE, T2_OBJECTIVES["wgan-gp"]), "t2-wgan-gp", Path(tmp),
                                       threshold, eval_every, max_steps, "train.ema_decay=0")}
        for preset in presets:
            rows[preset] = preset_race(preset, Path(tmp), threshold, eval_every, max_steps)
    reference = rows[PLAIN]["seconds"]
    for row in rows.values():
        row["ratio"] = row["seconds"] / reference if row["seconds"] is not None and reference else None
    return rows


def print_time_to_quality(rows: dict[str, dict], threshold: float, eval_every: int) -> None:
    print(f"\ntime to digits FD <= {threshold:g} (one thread; FD every {eval_every} steps, off the clock)")
    print("| run | seconds | step | FD then | / plain loop |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        if row["seconds"] is None:
            print(f"| {name} | not reached | - | {row['fd']:.2f} last | - |")
        else:
            ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
            print(f"| {name} | {row['seconds']:.1f} | {row['step']} | {row['fd']:.2f} | {ratio} |")
