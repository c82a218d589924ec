"""The Python API: the README's example runs, gankit.train writes what `gankit train` writes, load() restores."""
import runpy
import sys
from pathlib import Path

import pytest
import torch
import yaml

import gankit
from gankit.api import resolve_config
from gankit.cli import main
from gankit.errors import ConfigError

from .conftest import TINY_TOY, tiny

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "api.py"


def test_the_example_trains_samples_and_evaluates(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), str(tmp_path / "runs"), "12"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "trained 12 steps" in out and "samples: (1000, 2)" in out and "toy/modes" in out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert {"config.yaml", "metrics.jsonl", "samples", "checkpoints"} <= {p.name for p in run_dir.iterdir()}


SMALL = {"train.steps": 4, "train.threads": 1, "log.progress": False, "log.sample_every": 2, "log.eval_every": 0,
         "log.checkpoint_every": 2, "log.eval_samples": 200}


def test_api_and_cli_write_the_same_run_directory(tmp_path):
    api = gankit.train("ring8-ns", out_dir=str(tmp_path / "api"), **SMALL)
    assert main(["train", "ring8-ns", f"--set=out_dir={tmp_path / 'cli'}", *(f"--set={k}={v}" for k, v in SMALL.items())]) == 0
    (cli_dir,) = (tmp_path / "cli").iterdir()
    files = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*"))  # noqa: E731
    assert files(api.run_dir) == files(cli_dir)
    config = lambda d: {k: v for k, v in yaml.safe_load((d / "config.yaml").read_text()).items() if k != "out_dir"}  # noqa: E731
    assert config(api.run_dir) == config(cli_dir)
    same = gankit.load(cli_dir)  # same config and seed: the same weights
    torch.testing.assert_close(api.sample(50), same.sample(50))


def test_trainer_makes_its_folder_and_writes_the_config(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path)
    dataset = gankit.load_dataset(cfg.data.name)
    run_dir = tmp_path / "not" / "yet" / "there"
    gankit.Trainer(gankit.build_experiment(cfg, dataset.spec), dataset, run_dir).fit()
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["train"]["steps"] == cfg.train.steps
    assert gankit.load(run_dir).step == cfg.train.steps


def test_resume_through_the_api_continues_the_run(tmp_path):
    first = gankit.train(TINY_TOY, out_dir=str(tmp_path), train={"steps": 3})
    resumed = gankit.train(resume=first.run_dir, train={"steps": 6})
    assert resumed.run_dir == first.run_dir and resumed.step == 6
    with pytest.raises(ConfigError, match="cannot change"):
        gankit.train(resume=first.run_dir, seed=3)


def test_overrides_as_fields_dotted_paths_and_list_items():
    cfg = resolve_config("ring8-wgan-gp", {"seed": 4, "train": {"steps": 7}, "optim.D.lr": 3e-4,
                                           "penalties": [{"name": "r1"}], "penalties.0.weight": 2.5})
    assert (cfg.seed, cfg.train.steps, cfg.optim["D"].lr, cfg.train.n_critic) == (4, 7, 3e-4, 5)
    assert cfg.penalties[0].name == "r1" and cfg.penalties[0].weight == 2.5
    with pytest.raises(ConfigError, match="did you mean 'ring8-wgan-gp'"):
        resolve_config("ring8-wgan-g")
    with pytest.raises(ConfigError, match="unknown config key 'trian'"):
        resolve_config("ring8-wgan-gp", {"trian": {"steps": 1}})


def test_encode_needs_an_encoder(tmp_path):
    run = gankit.train(TINY_TOY, out_dir=str(tmp_path), train={"steps": 1})
    with pytest.raises(ConfigError, match="has no encoder"):
        run.encode(torch.zeros(3, 2))


def test_building_blocks_from_the_top_level():
    assert "wgan-gp" in gankit.OBJECTIVES.names() and "r1" in gankit.PENALTIES.names()
    trainer_class = gankit.Trainer
    assert callable(gankit.train) and gankit.training.trainer.Trainer is trainer_class
    assert gankit.train is gankit.api.train
    with pytest.raises(AttributeError):
        gankit.no_such_thing


def test_training_into_a_folder_that_holds_a_run_is_refused(tmp_path):
    run = gankit.train(TINY_TOY, run_dir=tmp_path / "run", **{"train.steps": 3, "log.progress": False})
    with pytest.raises(gankit.CheckpointError, match="already holds a run's checkpoints"):
        gankit.train(TINY_TOY, run_dir=run.run_dir, **{"train.steps": 3, "log.progress": False})


def test_run_evaluate_reproduces_the_logged_evaluation(tmp_path):
    run = gankit.train(TINY_TOY, run_dir=tmp_path / "run", **{"train.steps": 3, "log.progress": False,
                                                               "log.eval_every": 3})
    logged = next(r for r in run.metrics() if "toy/hq" in r)
    assert gankit.load(run.run_dir).evaluate()["toy/hq"] == logged["toy/hq"]


def test_load_takes_a_run_and_any_path_like(tmp_path):
    import os

    run = gankit.train(TINY_TOY, run_dir=tmp_path / "run", **{"train.steps": 3, "log.progress": False})

    class PathLike:  # any os.PathLike, not only pathlib's
        def __fspath__(self):
            return str(run.run_dir)

    for source in (run, PathLike(), str(run.run_dir), os.fsencode(run.run_dir).decode()):
        loaded = gankit.load(source)
        assert loaded.run_dir == run.run_dir and loaded.step == 3
        torch.testing.assert_close(loaded.sample(20), run.sample(20))  # the same weights, not only the same folder
    assert Path(run) == run.run_dir
