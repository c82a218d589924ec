"""Checkpoint formats: a format-1 checkpoint of the previous gankit loads upgraded (IGN's f renamed from G, the
model and optim sections cut to the declared networks) and samples as it did; it resumes into format 2; a newer
format is refused in one line (tests/test_bad_inputs.py)."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import gankit
from gankit import cli
from gankit.api import read_checkpoint
from gankit.training.upgrade import FORMAT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "format1"
NETWORKS = {"hinge-ring8": {"G", "D"}, "ign-ring8": {"f"}}


def old_run(tmp_path, name: str) -> Path:
    run_dir = tmp_path / name
    (run_dir / "checkpoints").mkdir(parents=True)
    shutil.copy(FIXTURES / f"{name}.safetensors", run_dir / "checkpoints" / "step-0000004.safetensors")
    return run_dir


@pytest.mark.parametrize("name", list(NETWORKS))
def test_a_format_1_checkpoint_loads_upgraded_and_samples_as_before(tmp_path, name):
    tensors, meta = read_checkpoint(FIXTURES / f"{name}.safetensors")
    assert meta["format"] == 2 and FORMAT == 2
    assert set(meta["config"]["model"]) == {"z_dim", *NETWORKS[name]} == {"z_dim", *meta["config"]["optim"]}
    assert {k.split(".")[1] for k in tensors if k.startswith("net.")} == NETWORKS[name]
    run = gankit.load(old_run(tmp_path, name))
    assert set(run.experiment.objective.nets) == NETWORKS[name] and run.experiment.has_ema
    expected = torch.from_numpy(np.load(FIXTURES / "samples.npz")[name])
    torch.testing.assert_close(run.sample(8, seed=5), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_a_format_1_run_resumes_and_writes_format_2(tmp_path, capsys, name):
    run_dir = old_run(tmp_path, name)
    assert cli.main(["train", "--resume", str(run_dir), "--set", "train.steps=6"]) == 0, capsys.readouterr().err
    tensors, meta = read_checkpoint(run_dir)
    assert (meta["step"], meta["format"], meta["gankit"]) == (6, 2, gankit.__version__)
    assert {k.split(".")[1] for k in tensors if k.startswith("net.")} == NETWORKS[name]
