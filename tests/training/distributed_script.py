"""Run by tests/training/test_distributed.py in 2 processes (as torchrun starts them): `gankit train` straight to 6 steps
into OUT/straight, then to 3 steps into OUT/resumed and resumed there to 6, then straight to 6 with train.accumulate 2
into OUT/accumulated, all through the command line."""
import sys
from pathlib import Path

from gankit.cli import main

config, out = sys.argv[1], Path(sys.argv[2])
assert main(["train", "--config", config, "--set", f"out_dir={out / 'straight'}"]) == 0
assert main(["train", "--config", config, "--set", f"out_dir={out / 'resumed'}", "--set", "train.steps=3"]) == 0
(run,) = (out / "resumed").iterdir()
assert main(["train", "--resume", str(run), "--set", "train.steps=6"]) == 0
assert main(["train", "--config", config, "--set", f"out_dir={out / 'accumulated'}", "--set", "train.accumulate=2"]) == 0
