"""An objective from outside the package (examples/outside_objective.py: networks `decoder` and `critic`) trains,
samples, evaluates, checkpoints, resumes bit for bit, refines and is inspected through the public commands and
the API, with nothing in gankit naming it."""
import json
from pathlib import Path

import pytest
import torch
import yaml

import gankit
from gankit import cli
from gankit.api import read_checkpoint
from gankit.plugins import load_plugins

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "outside_objective.py"
MLP = {"name": "mlp", "options": {"hidden": 16, "depth": 1}}
CONFIG = {
    "name": "outside", "data": {"name": "ring8", "batch_size": 32},
    "model": {"z_dim": 2, "decoder": MLP, "critic": MLP},
    "objective": {"name": "hinge-decoder"},
    "penalties": [{"name": "r1", "weight": 1.0}],
    "optim": {"critic": {"name": "adam", "lr": 1e-3}},  # the decoder's optimizer: the default one
    "train": {"steps": 6, "n_critic": 2, "ema_decay": 0.9, "threads": 1},
    "log": {"log_every": 1, "sample_every": 3, "eval_every": 3, "checkpoint_every": 3, "keep_checkpoints": 10,
            "num_samples": 16, "eval_samples": 100, "progress": False},
}


def gankit_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["--plugin", str(EXAMPLE), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def train(tmp_path, capsys, folder: str, *sets: str) -> Path:
    config = tmp_path / f"{folder}.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, "out_dir": str(tmp_path / folder)}))
    code, out, err = gankit_cli(capsys, "train", "--config", config, *sets)
    assert code == 0, err
    return next((tmp_path / folder).iterdir())


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    load_plugins([str(EXAMPLE)])
    run = gankit.train(CONFIG, out_dir=str(tmp_path_factory.mktemp("straight")))
    return run


def test_the_run_holds_only_its_own_networks_and_trains_them(straight):
    saved = yaml.safe_load((straight.run_dir / "config.yaml").read_text())
    assert set(saved["model"]) == {"z_dim", "decoder", "critic"} and set(saved["optim"]) == {"decoder", "critic"}
    tensors, meta = read_checkpoint(straight.run_dir)
    assert {k.split(".")[1] for k in tensors if k.startswith("net.")} == {"decoder", "critic"}
    assert any(k.startswith("ema_decoder.") for k in tensors) and meta["format"] == 2
    losses = [r for r in straight.metrics() if "critic/total" in r]
    assert len(losses) == 6 and all("r1" in r for r in losses)  # the penalty it declared it takes


def test_the_api_samples_evaluates_and_loads_it(straight):
    x = straight.sample(50, seed=3)
    assert x.shape == (50, 2) and torch.isfinite(x).all()
    metrics = straight.evaluate()
    assert {"toy/modes", "toy/hq", "toy/reverse_kl"} <= set(metrics)
    again = gankit.load(straight.run_dir)
    torch.testing.assert_close(again.sample(50, seed=3), x, rtol=0, atol=0)
    assert again.evaluate() == metrics  # the one evaluation path: the same numbers from a checkpoint alone


def test_resume_through_the_command_line_is_bit_identical(tmp_path, capsys, straight):
    whole = train(tmp_path, capsys, "whole")
    half = train(tmp_path, capsys, "half", "--set", "train.steps=3")
    code, _, err = gankit_cli(capsys, "train", "--resume", half, "--set", "train.steps=6")
    assert code == 0, err
    (a, meta_a), (b, meta_b) = read_checkpoint(whole), read_checkpoint(half)
    assert meta_a["step"] == meta_b["step"] == 6 and set(a) == set(b)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r for r in gankit.Run.metrics_of(whole) if "toy/hq" in r] == \
           [r for r in gankit.Run.metrics_of(half) if "toy/hq" in r]


def test_sample_eval_refine_inspect_and_list_through_the_commands(tmp_path, capsys, straight):
    run_dir = straight.run_dir
    code, _, err = gankit_cli(capsys, "sample", run_dir, "-n", "20", "-o", tmp_path / "s.npz")
    assert code == 0, err
    code, _, err = gankit_cli(capsys, "eval", run_dir, "-o", tmp_path / "e.json")
    assert code == 0, err
    assert json.loads((tmp_path / "e.json").read_text())["metrics"] == straight.evaluate()
    code, out, err = gankit_cli(capsys, "refine", run_dir, "-n", "16", "--steps", "3", "--output-dir", tmp_path / "r")
    assert code == 0 and "latent space" in out, err
    code, out, err = gankit_cli(capsys, "inspect", "lipschitz", run_dir, "-n", "64", "-o", tmp_path / "l.png")
    assert code == 0 and "penalty r1 (weight 1)" in out, err
    code, out, _ = gankit_cli(capsys, "list", "objectives")
    assert code == 0 and "hinge-decoder" in out


def test_a_config_naming_a_network_it_does_not_declare_is_one_line(tmp_path, capsys, straight):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, "model": {**CONFIG["model"], "G": MLP}}))
    code, _, err = gankit_cli(capsys, "train", "--config", config)
    assert code == 2 and err.count("\n") == 1
    assert "model.G: objective hinge-decoder has no network 'G' (its networks: decoder, critic)" in err


def test_without_the_plugin_the_objective_is_unknown(tmp_path, capsys, straight, monkeypatch):
    from gankit.objectives import OBJECTIVES

    monkeypatch.delitem(OBJECTIVES._items, "hinge-decoder")
    code = cli.main(["sample", str(straight.run_dir), "-o", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "unknown objective 'hinge-decoder'" in err and err.count("\n") == 1
