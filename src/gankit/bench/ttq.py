"""Time to quality (docs/benchmarks.md section 9): seconds on one thread from the start of training until the
digits FD (797 samples, evaluated every 250 steps) first reaches <= 5, for shipped presets as users run them
(EMA, samples and checkpoints at the preset's intervals) and, in the same run, for the plain hand-written
WGAN-GP loop of T2-WGAN-GP as the reference. The clock stops while FD is computed, on both sides; the races
take turns, one evaluation interval each."""
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


class Race:
    """One run toward the threshold, advanced one evaluation interval (a leg) at a time. It keeps its own
    global-RNG stream, restored before each leg and saved after, so races taking turns draw exactly what each
    would alone; taking turns spreads the machine's drift over all of them, where running one after the other
    put it into the ratios (T2's gankit / plain moved from 0.96x to 1.17x between two runs)."""

    def __init__(self, step_once, evaluate, threshold: float, eval_every: int, max_steps: int):
        self.step_once, self.evaluate = step_once, evaluate
        self.threshold, self.eval_every, self.max_steps = threshold, eval_every, max_steps
        self.rng = torch.get_rng_state()  # right after its trainer was built, as when it ran alone
        self.elapsed, self.step, self.value, self.result = 0.0, 0, float("nan"), None

    def leg(self) -> None:
        """Up to eval_every steps on the clock, then the evaluation off it; sets result when finished."""
        torch.set_rng_state(self.rng)
        steps = min(self.eval_every, self.max_steps - self.step)
        start = time.perf_counter()
        for _ in range(steps):
            self.step_once()
        self.elapsed += time.perf_counter() - start
        self.step += steps
        self.rng = torch.get_rng_state()
        if self.step % self.eval_every == 0:
            with torch.random.fork_rng(devices=[]):
                self.value = self.evaluate()
            if self.value <= self.threshold:
                self.result = {"seconds": self.elapsed, "step": self.step, "fd": self.value}
        if self.result is None and self.step >= self.max_steps:
            self.result = {"seconds": None, "step": None, "fd": self.value, "trained_seconds": self.elapsed}


def take_turns(races: dict[str, Race]) -> dict[str, dict]:
    """Runs the races a leg each in turn until every one has finished; their results by name."""
    while running := [r for r in races.values() if r.result is None]:
        for r in running:
            r.leg()
    return {name: r.result for name, r in races.items()}


def preset_race(preset: str, workdir: Path, threshold: float, eval_every: int, max_steps: int) -> Race:
    return config_race(load_preset(preset), preset, workdir, threshold, eval_every, max_steps)


def config_race(config: dict, name: str, workdir: Path, threshold: float, eval_every: int, max_steps: int,
                *overrides: str, measure=None) -> Race:
    """A race of the config's gankit run; measure(trainer) scores it (default: the digits FD of its eval samples)."""
    from tqdm import tqdm

    samples = [] if measure else [f"log.eval_samples={DIGITS_SAMPLES}"]
    cfg = build_config(config, overrides=[
        "log.progress=false", "log.eval_every=0", *samples, f"out_dir={workdir}", f"train.steps={max_steps}",
        *overrides])
    trainer, _ = pair_for(cfg, workdir / name)
    trainer.open_run_dir()
    bar = tqdm(disable=True)

    def step_once():
        trainer.train_iteration()
        trainer.after_iteration(bar)

    def evaluate():
        return measure(trainer) if measure else fd(trainer.exp.generate(trainer.eval_z))

    return Race(step_once, evaluate, threshold, eval_every, max_steps)


def plain_race(workdir: Path, threshold: float, eval_every: int, max_steps: int) -> Race:
    cfg = build_config(deep_merge(T2_BASE, T2_OBJECTIVES["wgan-gp"]), overrides=[
        f"out_dir={workdir}", f"log.eval_samples={DIGITS_SAMPLES}"])
    trainer, plain = pair_for(cfg, workdir / "plain")
    z = trainer.eval_z  # the evaluation noise gankit's own race scores: the same FD yardstick on both sides

    @torch.no_grad()
    def evaluate():
        with evaluating(plain.G):
            return fd(plain.G(z))

    return Race(plain, evaluate, threshold, eval_every, max_steps)


def run_time_to_quality(presets=TTQ_PRESETS, threshold: float = THRESHOLD, eval_every: int = EVAL_EVERY,
                        max_steps: int = MAX_STEPS, threads: int = 1) -> dict[str, dict]:
    """{name: {seconds, step, fd, ratio to the plain loop}}; seconds None where FD never got there. The races
    take turns, a leg each (see Race)."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        races = {PLAIN: plain_race(Path(tmp), threshold, eval_every, max_steps),
                 GANKIT_T2: config_race(deep_merge(T2_BASE, T2_OBJECTIVES["wgan-gp"]), "t2-wgan-gp", Path(tmp),
                                        threshold, eval_every, max_steps, "train.ema_decay=0")}
        for preset in presets:
            races[preset] = preset_race(preset, Path(tmp), threshold, eval_every, max_steps)
        rows = take_turns(races)
    reference = rows[PLAIN]["seconds"]
    for row in rows.values():
        row["ratio"] = row["seconds"] / reference if row["seconds"] is not None and reference else None
    return rows


def print_time_to_quality(rows: dict[str, dict], threshold: float, eval_every: int, metric: str = "digits FD",
                          reference: str = "plain loop") -> None:
    print(f"\ntime to {metric} <= {threshold:g} (one thread; {metric} every {eval_every} steps, off the clock)")
    print(f"| run | seconds | step | {metric} then | / {reference} |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        if row["seconds"] is None:
            print(f"| {name} | not reached | - | {row['fd']:.2f} last | - |")
        else:
            ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
            print(f"| {name} | {row['seconds']:.1f} | {row['step']} | {row['fd']:.2f} | {ratio} |")


# T3 (issue 27): the emoji DCGAN recipe at gankit's defaults (fp32, contiguous) against as shipped (channels-last,
# bf16 where the CPU has it), raced to T3's training-time metric, SWD x 1e3 on the run's 2,000 evaluation samples
# (an Inception FD costs a minute a check on one core; SWD a few seconds). 40 is where emoji-dcgan passes
# between 2,000 (54.6) and 4,000 steps (32.5).
T3_THRESHOLD, T3_EVAL_EVERY, T3_MAX_STEPS = 40.0, 500, 6000
T3_PRESET = "emoji-dcgan"
T3_RACES = {"emoji-dcgan at the defaults (fp32, contiguous)": ("train.channels_last=false", "train.precision=fp32"),
            "emoji-dcgan as shipped (channels-last, precision auto)": ()}


def t3_swd(trainer) -> float:
    from ..metrics import swd

    return float(swd(trainer.exp.generate(trainer.eval_z), trainer.dataset)["avg"])  # the metric "swd", its key "avg"


def run_time_to_quality_t3(threshold: float = T3_THRESHOLD, eval_every: int = T3_EVAL_EVERY,
                           max_steps: int = T3_MAX_STEPS, threads: int = 1) -> dict[str, dict]:
    """{name: {seconds, step, fd (here the SWD reached), ratio to the defaults' seconds}}, the races taking turns."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        races = {name: config_race(load_preset(T3_PRESET), name, Path(tmp), threshold, eval_every, max_steps,
                                   *overrides, measure=t3_swd)
                 for name, overrides in T3_RACES.items()}
        rows = take_turns(races)
    reference = rows[next(iter(T3_RACES))]["seconds"]
    for row in rows.values():
        row["ratio"] = row["seconds"] / reference if row["seconds"] is not None and reference else None
    return rows
