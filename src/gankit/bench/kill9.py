"""kill -9 audit: train a run while killing it with SIGKILL at random moments and resuming it each time; at
the end every tensor of the final checkpoint, every line of metrics.jsonl (losses and evaluations) and the
list of sample pictures must equal those of a run never stopped, and no temporary file may be left. With
--in-eval K, K of the kills are timed inside the evaluation that follows a checkpoint (after its sample picture,
before its metrics record), where a resume has to redo the evaluation. Not part of the test suite:

    python -m gankit.bench.kill9 [--kills 10] [--seed 0] [--out DIR]
    python -m gankit.bench.kill9 --preset ring8-ebm --set log.checkpoint_every=50 --set log.eval_every=50 \
        --set log.sample_every=50 --set train.steps=500 --in-eval 3
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch
import yaml

CONFIG = {  # a toy run that checkpoints often, so kills land during writes too
    "name": "kill9", "data": {"name": "ring8", "batch_size": 64},
    "model": {"z_dim": 2, "G": {"name": "mlp", "options": {"hidden": 64, "depth": 2}},
              "D": {"name": "mlp", "options": {"hidden": 64, "depth": 2}}},
    "objective": {"name": "wgan-gp", "options": {"gp_weight": 0.1}},
    "train": {"steps": 1500, "n_critic": 2, "ema_decay": 0.99, "threads": 1},
    "log": {"log_every": 5, "sample_every": 0, "eval_every": 0, "checkpoint_every": 7, "keep_checkpoints": 2,
            "eval_samples": 500, "progress": False},
}
TEMPORARY = (".tmp",)  # our atomic writes' suffix; safetensors' own temp files start with .tmp


def gankit(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gankit", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_for_line(proc: subprocess.Popen, prefix: str, lines: list[str]) -> str | None:
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(prefix):
            return line
    return None


def temporaries(run_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob(".*")
                  if p.is_file() and (p.name.startswith(".tmp") or p.name.endswith(TEMPORARY)))


def final_state(run_dir: Path) -> tuple[dict, list]:
    """The last checkpoint's tensors and step, and every metrics.jsonl record with timings left out."""
    from gankit.api import Run, read_checkpoint

    tensors, meta = read_checkpoint(run_dir)
    records = [{k: v for k, v in r.items() if "time" not in k and "seconds" not in k} for r in Run.metrics_of(run_dir)
               if r.get("event") != "session"]  # each completed session logs its wall time
    pictures = sorted(p.name for p in (run_dir / "samples").glob("step-*.png"))
    return {"tensors": tensors, "step": meta["step"], "samples": pictures}, records


def checkpoint_steps(run_dir: Path) -> set[int]:
    """The steps of the run's complete checkpoints (checkpoints/step-N.safetensors)."""
    return {int(p.stem.split("-")[1]) for p in (run_dir / "checkpoints").glob("step-*.safetensors")}


def evaluated(run_dir: Path, step: int) -> bool:
    from gankit.api import Run
    from gankit.evaluation import evaluated_at

    return evaluated_at(Run.metrics_of(run_dir), step)


def kill_in_evaluation(proc: subprocess.Popen, run_dir: Path, rng: random.Random, window: float) -> tuple[float, bool]:
    """Waits for a checkpoint newer than those at the start and for its sample picture, then SIGKILLs the process
    a random time later within `window` seconds; returns the delay and whether the kill landed before the
    evaluation's record (inside the evaluation)."""
    lines: list[str] = []
    if wait_for_line(proc, "run directory:", lines) is None:
        raise RuntimeError("gankit ended before training started:\n" + "".join(lines))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    before = checkpoint_steps(run_dir)
    step = None
    while proc.poll() is None:
        new = sorted(checkpoint_steps(run_dir) - before)
        if new and (run_dir / "samples" / f"step-{new[-1]:07d}.png").exists():
            step = new[-1]
            break
        time.sleep(0.002)
    delay = rng.uniform(0.0, window)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return delay, step is not None and not evaluated(run_dir, step)


def kill_at_random(proc: subprocess.Popen, started: str | None, rng: random.Random, horizon: float) -> float:
    """Waits until the process has started training (prints `started`), then SIGKILLs it after a random delay."""
    lines: list[str] = []
    if started is not None and wait_for_line(proc, started, lines) is None:
        raise RuntimeError("gankit ended before training started:\n" + "".join(lines))
    delay = rng.uniform(0.0, horizon)
    drain = threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True)
    drain.start()
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return delay


def write_config(out: Path, preset: str | None, overrides: list[str]) -> Path:
    """The audited run's config file: CONFIG, or a preset with --set overrides (progress bar off)."""
    if preset is None:
        data = {**CONFIG, "out_dir": str(out / "runs")}
    else:
        from gankit.config import build_config
        from gankit.presets import load_preset

        sets = [*overrides, "log.progress=false", f"out_dir={out / 'runs'}", "name=kill9"]
        data = build_config(load_preset(preset), overrides=sets).to_dict()
    cfg = out / "kill9.yaml"
    cfg.write_text(yaml.safe_dump(data))
    return cfg


def reference_run(cfg: Path) -> tuple[tuple[dict, list], float]:
    """The final state of the run never stopped, and its training seconds (the horizon of the kills)."""
    straight = gankit("train", "--config", str(cfg), "--set", "name=straight")
    lines: list[str] = []
    run_dir = Path(wait_for_line(straight, "run directory:", lines).split(":", 1)[1].strip())
    start = time.perf_counter()  # training time only
    for line in straight.stdout:
        lines.append(line)
    if straight.wait() != 0:
        raise RuntimeError("the reference run failed:\n" + "".join(lines))
    return final_state(run_dir), time.perf_counter() - start


def audit(kills: int, seed: int, out: Path, preset: str | None = None, overrides: list[str] = (),
          in_eval: int = 0, window: float = 1.0) -> dict:
    """A run killed `kills` times (in_eval of them inside an evaluation) and resumed each time, against the same
    run never stopped: the final state, metrics.jsonl and pictures compared."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    cfg = write_config(out, preset, list(overrides))
    (reference, reference_losses), seconds = reference_run(cfg)

    first = gankit("train", "--config", str(cfg))
    lines = []
    line = wait_for_line(first, "run directory:", lines)
    killed = Path(line.split(":", 1)[1].strip())
    horizon = seconds / kills  # on average the kills cover half the run, which then finishes after them
    delays = [kill_at_random(first, None, rng, horizon)]
    left_after_kill, left_after_start, landed = [temporaries(killed)], [], []
    timed = set(rng.sample(range(1, kills), min(in_eval, kills - 1)))  # which kills wait for an evaluation
    while len(delays) < kills:
        proc = gankit("train", "--resume", str(killed))
        if len(delays) in timed:
            delay, inside = kill_in_evaluation(proc, killed, rng, window)
            delays.append(delay)
            landed.append(inside)
        else:
            delays.append(kill_at_random(proc, "run directory:", rng, horizon))
        left_after_kill.append(temporaries(killed))
    proc = gankit("train", "--resume", str(killed))
    lines = []
    wait_for_line(proc, "run directory:", lines)
    time.sleep(0.5)
    left_after_start.append(temporaries(killed))
    for line in proc.stdout:
        lines.append(line)
    code = proc.wait()
    state, losses = final_state(killed)
    equal = state["step"] == reference["step"] and state["tensors"].keys() == reference["tensors"].keys() and all(
        torch.equal(state["tensors"][k], reference["tensors"][k]) for k in state["tensors"])
    return {"kills": len(delays), "kill delays s": [round(d, 2) for d in delays], "final exit": code,
            "kills timed in an evaluation": len(landed), "of them before its record": sum(landed),
            "final step": state["step"], "bit-exact": equal, "metrics lines": len(losses),
            "metrics lines equal": losses == reference_losses, "sample pictures equal": state["samples"] == reference["samples"],
            "temporary files right after kills": sum(len(t) for t in left_after_kill),
            "temporary files after the next start": left_after_start[-1] + temporaries(killed),
            "reference run's training s": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="working folder (default: a temporary one)")
    p.add_argument("--preset", help="audit this preset instead of the built-in toy run")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override of the preset")
    p.add_argument("--in-eval", type=int, default=0, metavar="K", help="kills timed inside an evaluation")
    p.add_argument("--window", type=float, default=1.0, help="seconds after the sample picture such a kill may land")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = audit(args.kills, args.seed, Path(args.out or tmp), args.preset, args.set, args.in_eval, args.window)
    for key, value in report.items():
        print(f"{key:40s} {value}")
    ok = report["bit-exact"] and report["metrics lines equal"] and report["sample pictures equal"] \
        and not report["temporary files after the next start"]
    return 0 if ok and report["final exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
