"""kill -9 audit: train a run while killing it with SIGKILL at random moments and resuming it each time; at
the end every tensor of the final checkpoint and every loss line must equal those of a run never stopped,
and no temporary file may be left. Not part of the test suite (it takes a minute or two):

    python -m gankit.bench.kill9 [--kills 10] [--seed 0] [--out DIR]
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
    from gankit.api import Run, read_checkpoint

    tensors, meta = read_checkpoint(run_dir)
    losses = [r for r in Run.metrics_of(run_dir) if "D/total" in r]
    return {"tensors": tensors, "step": meta["step"]}, losses


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


def audit(kills: int, seed: int, out: Path) -> dict:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    cfg = out / "kill9.yaml"
    cfg.write_text(yaml.safe_dump({**CONFIG, "out_dir": str(out / "runs")}))
    straight = gankit("train", "--config", str(cfg), "--set", "name=straight")
    lines: list[str] = []
    run_dir = Path(wait_for_line(straight, "run directory:", lines).split(":", 1)[1].strip())
    start = time.perf_counter()  # training time only: the horizon of the kills
    for line in straight.stdout:
        lines.append(line)
    if straight.wait() != 0:
        raise RuntimeError("the reference run failed:\n" + "".join(lines))
    seconds = time.perf_counter() - start
    reference, reference_losses = final_state(run_dir)

    first = gankit("train", "--config", str(cfg))
    lines = []
    line = wait_for_line(first, "run directory:", lines)
    killed = Path(line.split(":", 1)[1].strip())
    horizon = seconds / kills  # on average the kills cover half the run, which then finishes after them
    delays = [kill_at_random(first, None, rng, horizon)]
    left_after_kill, left_after_start = [temporaries(killed)], []
    while len(delays) < kills:
        proc = gankit("train", "--resume", str(killed))
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
            "final step": state["step"], "bit-exact": equal, "loss lines equal": losses == reference_losses,
            "temporary files right after kills": sum(len(t) for t in left_after_kill),
            "temporary files after the next start": left_after_start[-1] + temporaries(killed),
            "reference run's training s": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="working folder (default: a temporary one)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = audit(args.kills, args.seed, Path(args.out or tmp))
    for key, value in report.items():
        print(f"{key:40s} {value}")
    ok = report["bit-exact"] and report["loss lines equal"] and not report["temporary files after the next start"]
    return 0 if ok and report["final exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
