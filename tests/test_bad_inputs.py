"""Every bad input gets one line on stderr naming the field or file, exit status 2, and no traceback.

A table of bad inputs across config, command line, data files and checkpoints. Nearly all fail before any
training; the few that need a trained run share one tiny run (module fixture)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save, save_file

from gankit import cli

from .conftest import TINY_DIGITS

# --- config: gankit train --set KEY=VALUE (the default preset unless a case names another) ---------------

CONFIG = [
    ("optim.D.lr=.nan", "optim.D.lr: expected a finite number"),
    ("optim.D.lr=.inf", "optim.D.lr: expected a finite number"),
    ("optim.D.lr=-1", "optim.D.lr: expected a positive number"),
    ("optim.D.lr=0", "optim.D.lr: expected a positive number"),
    ("optim.D.lr=1e999", "optim.D.lr: expected a finite number"),
    ("optim.D.betas=[2,3]", "optim.D.betas: expected two values in [0, 1)"),
    ("optim.D.betas=[0.5]", "optim.D.betas: expected a list of 2 numbers"),
    ("optim.D.betas=[0.5,1.0]", "optim.D.betas: expected two values in [0, 1)"),
    ("optim.D.betas=[0.5,.nan]", "optim.D.betas.1: expected a finite number"),
    ("optim.D.eps=-1", "optim.D.eps: expected a positive number"),
    ("optim.D.eps=0", "optim.D.eps: expected a positive number"),
    ("optim.G.momentum=-0.1", "optim.G.momentum: expected 0 or more"),
    ("optim.G.alpha=2", "optim.G.alpha: expected a value in [0, 1]"),
    ("optim.G.weight_decay=-1", "optim.G.weight_decay: expected 0 or more"),
    ("optim.G.name=adamw", "unknown optimizer optim.G.name='adamw'"),
    ("train.threads=-1", "train.threads: expected 0 (torch's default) or a positive number"),
    ("train.device=cuda:99", "train.device: 'cuda:99' is not available on this machine"),
    ("train.device=banana", "train.device: 'banana' is not a torch device"),
    ("train.device=meta", "train.device: device type 'meta' is not supported"),
    ("model.G.options.width=0", "model.G.options.width: expected an integer from 1 to 65536, got 0"),
    ("model.G.options.width=-5", "model.G.options.width: expected an integer from 1 to 65536"),
    ("model.G.options.width=200000", "model.G.options.width: expected an integer from 1 to 65536"),
    ("model.D.options.width=wide", "model.D.options.width: expected int"),
    ("model.G.options.kernel_size=7", "kernel_size 7: choose 3, 4 or 5"),
    ("model.G.options.norm=bogus", "norm"),
    ("model.G.options.depth=3", "unknown option model.G.options.depth"),
    ("seed=99999999999999999999", "config field seed: expected an integer from 0 to"),
    ("seed=-1", "config field seed: expected an integer from 0 to"),
    ("log.eval_samples=1", "log.eval_samples: expected at least 10"),
    ("log.eval_samples=0", "log.eval_samples: expected a positive integer"),
    ("log.eval_samples=100000000", "log.eval_samples: expected at most"),
    ("log.num_samples=0", "log.num_samples: expected a positive integer"),
    ("log.sample_every=-1", "log.sample_every: expected 0 or more"),
    ("log.keep_checkpoints=0", "log.keep_checkpoints: expected a positive integer"),
    ("log.progress=maybe", "log.progress: expected true or false"),
    ("data.batch_size=0", "data.batch_size: expected a positive integer"),
    ("data.batch_size=5000", "data.batch_size 5000 is larger than dataset 'digits-train' (1000 items)"),
    ("data.batch_size=true", "data.batch_size: expected an integer"),
    ("data.resolution=-8", "data.resolution: expected 0 or a power of two"),
    ("data.resolution=12", "resolution 12 is not a power of two"),
    ("data.name=digts", "unknown dataset 'digts'"),
    ("train.steps=-1", "train.steps: expected a positive integer"),
    ("train.steps=1.5", "train.steps: expected an integer"),
    ("train.ema_decay=1", "train.ema_decay: expected a value in [0, 1)"),
    ("train.ema_decay=.nan", "train.ema_decay: expected a finite number"),
    ("train.n_critic=0", "train.n_critic: expected a positive integer"),
    ("train.n_critic=100000000", "train.n_critic: expected at most"),
    ("train.on_divergence=explode", "train.on_divergence: expected stop or rollback"),
    ("train.rollback_lr_factor=2", "train.rollback_lr_factor: expected a value in (0, 1)"),
    ("train.divergence_factor=0.5", "train.divergence_factor: expected 0 (off) or a number above 1"),
    ("train.max_rollbacks=-1", "train.max_rollbacks: expected 0 or more"),
    ("train.schedule=random", "unknown schedule 'random'"),
    ("name=../../../x", "config field name: expected a run name without path separators"),
    ("name=a/b", "config field name: expected a run name without path separators"),
    ("name=..", "config field name: expected a run name without path separators"),
    ("model.z_dim=0", "model.z_dim: expected a positive integer"),
    ("model.z_dim=10000000", "model.z_dim: expected at most"),
    ("objective.options.gp_weight=.nan", "objective.options.gp_weight: expected a finite number"),
    ("objective.options.bogus=1", "unknown option objective.options.bogus"),
    ("objective.name=wgan-pg", "unknown objective 'wgan-pg'"),
    ("constraints=[{name: spectral-norm, network: X}]", "constraints.0.network: 'X' is not a network"),
    ("penalties=[{name: r1, every: 0}]", "penalties.0.every: expected a positive integer"),
    ("train..steps=3", "empty key part"),
    ("noequals", "expected KEY=VALUE"),
]


@pytest.fixture
def runs(tmp_path):
    return f"out_dir={tmp_path / 'runs'}"


def run(capsys, *argv):
    """(exit status, stderr) of the CLI; argparse's exits count like returns."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def assert_one_line(code, err, message):
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("gankit"), err
    assert message in err, err


@pytest.mark.parametrize("override, message", CONFIG, ids=[c[0][:40] for c in CONFIG])
def test_bad_config_values(capsys, runs, override, message):
    assert_one_line(*run(capsys, "train", "--set", runs, "--set", override), message)


# --- config files and the train command line -------------------------------------------------------------

def test_bad_config_files_and_train_arguments(tmp_path, capsys, runs, trained):
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: {steps: [\n")
    cases = [
        (["train", "--config", listing], f"config file {listing}: expected a mapping"),
        (["train", "--config", broken], f"config file {broken} is not valid YAML"),
        (["train", "--config", tmp_path / "missing.yaml"], "cannot read config file"),
        (["train", "ring8-wgan"], "unknown preset 'ring8-wgan'"),
        (["train", "digits-wgan-gp", "--resume", trained], "--resume takes the run's own config"),
        (["train", "--resume", trained, "--set", "model.z_dim=3"], "--resume continues the run's own config; model.z_dim"),
        (["train", "--resume", trained, "--set", "log.eval_samples=1"], "log.eval_samples: expected at least 10"),
        (["train", "--resume", tmp_path / "nothing"], "nothing to resume"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
    ]
    for argv, message in cases:
        extra = [] if "--resume" in argv or "--bogus" in argv else ["--set", runs]
        assert_one_line(*run(capsys, *argv, *extra), message)


# --- data files ----------------------------------------------------------------------------------------

def npz(tmp_path, name, **arrays):
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrays)
    return f"npz:{path}"


def test_bad_data_files(tmp_path, capsys, runs, monkeypatch):
    nan_images = np.zeros((10, 8, 8), np.float32)
    nan_images[3, 2, 5] = np.nan
    inf_vectors = np.zeros((10, 2))
    inf_vectors[7, 1] = np.inf
    bomb, garbage, noresolution = (tmp_path / d for d in ("bomb", "garbage", "nores"))
    for folder in (bomb, garbage, noresolution):
        folder.mkdir()
    Image.new("L", (16, 16)).save(bomb / "big.png")
    Image.new("L", (8, 8)).save(noresolution / "a.png")
    Image.new("L", (8, 6)).save(noresolution / "b.png")  # two sizes: no resolution to infer
    (garbage / "fake.png").write_bytes(b"not a png at all")
    (tmp_path / "notazip.npz").write_bytes(b"hello")
    cases = [
        (npz(tmp_path, "strings", x=np.array([["a", "b"], ["c", "d"]])), "array 'x': holds strings"),
        (npz(tmp_path, "complex", x=np.ones((10, 2), np.complex64)), "array 'x': holds complex numbers"),
        (npz(tmp_path, "uint16", x=np.full((10, 8, 8), 513, np.uint16)), "integer images must be 0..255 pixels, found 513..513"),
        (npz(tmp_path, "negative", x=np.full((10, 8, 8), -3, np.int16)), "integer images must be 0..255 pixels"),
        (npz(tmp_path, "nanimages", x=nan_images), "array 'x': nan at index [3, 2, 5]"),
        (npz(tmp_path, "infvectors", x=inf_vectors), "array 'x': inf at index [7, 1]"),
        (npz(tmp_path, "range", x=np.full((10, 8, 8), 3.0, np.float32)), "float images must lie in [-1, 1]"),
        (npz(tmp_path, "labels", x=np.zeros((10, 2)), y=-np.ones(10, np.int64)), "array 'y': label -1 at index 0 is outside 0 or more"),
        (npz(tmp_path, "flat", x=np.zeros(5)), "got shape [5]"),
        (npz(tmp_path, "objects", x=np.array([{"a": 1}] * 4, dtype=object)), "not a readable .npz file"),
        (f"npz:{tmp_path / 'notazip.npz'}", "notazip.npz: not an .npz file; it looks like a text file"),
        (f"npz:{tmp_path / 'missing.npz'}", "missing.npz: no such file"),
        (f"folder:{garbage}", "fake.png is not a readable image"),
        (f"folder:{tmp_path / 'nowhere'}", "no such folder"),
    ]
    for name, message in cases:
        extra = ["--set", "data.resolution=8"] if name.startswith("folder:") else []
        assert_one_line(*run(capsys, "train", "--set", runs, "--set", f"data.name={name}", *extra), message)
    code, err = run(capsys, "train", "--set", runs, "--set", f"data.name=folder:{noresolution}")
    assert_one_line(code, err, "set data.resolution")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 16 x 16 = 256 pixels: over twice the limit
    code, err = run(capsys, "train", "--set", runs, "--set", f"data.name=folder:{bomb}", "--set", "data.resolution=8")
    assert_one_line(code, err, "big.png has over 100 pixels, refused as a possible decompression bomb")


# --- commands on a trained run ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny digits run, trained for 2 steps, shared by every case below."""
    out = tmp_path_factory.mktemp("trained")
    cfg = out / "tiny.yaml"
    import yaml

    cfg.write_text(yaml.safe_dump({**TINY_DIGITS, "out_dir": str(out / "runs"),
                                   "log": {**TINY_DIGITS["log"], "eval_samples": 50}}))
    assert cli.main(["train", "--config", str(cfg), "--set", "train.steps=2"]) == 0
    return next((out / "runs").iterdir())


RUN_COMMANDS = [
    (["eval", "RUN", "-n", "-5"], "argument -n: expected at least 10 samples"),
    (["eval", "RUN", "-n", "1"], "argument -n: expected at least 10 samples"),
    (["eval", "RUN", "-n", "3"], "argument -n: expected at least 10 samples"),
    (["eval", "RUN", "-n", "lots"], "argument -n: expected a whole number"),
    (["eval", "RUN", "-n", "100000000"], "-n 100000000: 100000000 samples of shape [1, 8, 8] take 25.6 GB"),
    (["eval", "RUN", "-o", "/missing/dir/e.json"], "-o /missing/dir/e.json: no such folder /missing/dir"),
    (["eval", "RUN", "-o", "TMP/e.txt"], "e.txt: expected a file ending in .json"),
    (["eval", "RUN", "-o", "TMP"], "expected a file ending in .json"),
    (["eval", "RUN", "--metrics", "toy"], "metric toy needs a dataset with known modes"),
    (["eval", "RUN", "--metrics", "bogus"], "unknown metric 'bogus'"),
    (["eval", "RUN", "--metrics", "encoder"], "--metrics encoder: this run's objective 'ns' has no encoder"),
    (["eval", "RUN", "--device", "cuda:99"], "'cuda:99' is not available on this machine"),
    (["eval", "RUN", "--seed", "-1"], "argument --seed: expected a seed from 0 to"),
    (["eval", "RUN", "--data", "ring8"], "--data ring8 gives items of shape [2]"),
    (["eval", "RUN", "--features", "fancy"], "argument --features: invalid choice"),
    (["eval", "TMP/nothing"], "no such run directory or checkpoint file"),
    (["sample", "RUN", "--nrow", "-1"], "argument --nrow: expected a number >= 1, got -1"),
    (["sample", "RUN", "--nrow", "0"], "argument --nrow: expected a number >= 1, got 0"),
    (["sample", "RUN", "-o", "TMP/x.txt"], "x.txt: nothing here writes .txt; expected .npz, or a picture format"),
    (["sample", "RUN", "-o", "TMP/x.png", "--quality", "90"], "--quality: PNG is lossless"),
    (["sample", "RUN", "-o", "TMP/x.jpg", "--quality", "101"], "argument --quality: expected a quality from 1 to 100"),
    (["sample", "RUN", "-o", "/dev/null/x.png"], "/dev/null is not a folder"),
    (["sample", "RUN", "-n", "0"], "argument -n: expected a number >= 1, got 0"),
    (["sample", "RUN", "-n", "100000000"], "100000000 samples of shape [1, 8, 8] take 25.6 GB"),
    (["sample", "RUN", "-n", "5000"], "a picture grid holds at most 4096 images"),
    (["sample", "RUN", "--seed", "99999999999999999999"], "argument --seed: expected a seed from 0 to"),
    (["inspect", "lipschitz", "RUN", "-o", "TMP/x.jpg"], "x.jpg: expected a file ending in .png"),
    (["inspect", "lipschitz", "RUN", "-n", "0"], "argument -n: expected a number >= 1"),
    (["inspect", "lipschitz", "RUN", "-n", "100000000"], "take 25.6 GB"),
    (["inspect", "flatness", "RUN"], "argument what: invalid choice"),
    (["encode", "RUN", "-o", "TMP/codes.npz"], "has no encoder"),
    (["reconstruct", "RUN", "-n", "100000000", "-o", "TMP/r.png"], "reconstruct: this run's objective 'ns' has no encoder"),
    (["list", "bogus"], "invalid choice"),
    (["refine", "RUN", "--steps", "0"], "argument --steps: expected a number >= 1"),
    (["refine", "RUN", "--step-size", "-0.1"], "argument --step-size: expected a finite number > 0"),
    (["refine", "RUN", "--beta", "nan"], "argument --beta: expected a finite number > 0"),
    (["refine", "RUN", "--sampler", "hmc"], "unknown sampler 'hmc'"),
    (["refine", "RUN", "-n", "100000000"], "take 25.6 GB"),
    (["refine", "RUN", "--output-dir", "/dev/null/x"], "/dev/null is not a folder"),
    (["refine", "RUN", "--eval", "--data", "ring8"], "--data ring8 gives items of shape [2]"),
    (["plot", "TMP"], "no metrics.jsonl records to plot"),
    (["encode", "RUN", "-n", "-5", "-o", "TMP/z.npz"], "argument -n: expected a number >= 1"),
    (["encode", "RUN", "--seed", "9999999999999999999999", "-o", "TMP/z.npz"], "argument --seed: expected a seed"),
    (["evaluator", "-o", "TMP/w.txt"], "w.txt: expected a file ending in .safetensors"),
    (["train", "--set", "optim.G.groups=[{params: '*', lr_scale: -1}]"], "optim.G.groups.0.lr_scale"),
    (["train", "--set", "optim.D.decay_factor=-3"], "optim.D.decay_factor"),
    (["train", "--set", "train.precision=fp8"], "train.precision"),
    (["train", "--set", "optim.D.lr_schedule=linear"], "optim.D.lr_schedule"),
    (["train", "--set", "train.schedule=simultaneous"], "train.schedule simultaneous"),
]


@pytest.mark.parametrize("argv, message", RUN_COMMANDS, ids=[" ".join(c[0])[:40] for c in RUN_COMMANDS])
def test_bad_command_lines_on_a_run(capsys, tmp_path, trained, argv, message):
    argv = [str(trained) if a == "RUN" else a.replace("TMP", str(tmp_path)) for a in argv]
    assert_one_line(*run(capsys, *argv), message)


# --- checkpoints: edited, truncated, foreign --------------------------------------------------------------

def newest(run_dir: Path) -> Path:
    return sorted((run_dir / "checkpoints").glob("step-*.safetensors"))[-1]


def rewrite(source: Path, target: Path, meta=None, text=None, drop=(), tensors=None) -> Path:
    """A copy of checkpoint `source` with its metadata replaced (meta: a function of the dict, or raw text)
    and some tensors dropped or replaced."""
    with safe_open(str(source), framework="pt") as f:
        found = {k: f.get_tensor(k) for k in f.keys() if k not in drop}
        data = json.loads(f.metadata()["gankit"])
    found.update(tensors or {})
    if text is None:
        text = json.dumps(meta(data) if meta else data)
    target.write_bytes(save(found, metadata={"gankit": text}))
    return target


def edit(path: str, value):
    """A metadata editor setting the dotted `path` to value (None deletes it)."""
    def apply(data):
        keys = path.split(".")
        node = data
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
        return data
    return apply


CHECKPOINTS = [
    (dict(text="{not json"), "its gankit metadata is not valid JSON"),
    (dict(text="[1, 2]"), "its gankit metadata is a list, expected a mapping"),
    (dict(text='"text"'), "its gankit metadata is a str, expected a mapping"),
    (dict(meta=edit("config", None)), "its metadata lacks 'config'"),
    (dict(meta=edit("spec", None)), "its metadata lacks 'spec'"),
    (dict(meta=edit("optim", None)), "its metadata lacks 'optim'"),
    (dict(meta=edit("step", "ten")), "metadata 'step' should be a int"),
    (dict(meta=edit("step", -4)), "metadata 'step' is -4"),
    (dict(meta=edit("format", 3)), "checkpoint format 3 (written by gankit 0.1.0); this gankit 0.1.0 reads formats up to 2"),
    (dict(meta=edit("format", "2")), "checkpoint format '2' is not one gankit writes"),
    (dict(meta=edit("config", [1])), "metadata 'config' should be a dict"),
    (dict(drop=("rng.cpu",)), "no uint8 tensor 'rng.cpu'"),
    (dict(tensors={"rng.cpu": torch.zeros(3, dtype=torch.uint8)}), "no uint8 tensor 'rng.cpu'"),
    (dict(drop=("net.G.project.weight",)), "no tensor net.G.project.weight"),
    (dict(drop=("ema_updates",)), "no tensor ema_updates"),
    (dict(meta=edit("optim.D.param_groups.0.lr", "fast")), "param_groups.0.lr: expected float"),
    (dict(meta=edit("optim.D.param_groups.0.lr", -1.0)), "param_groups.0.lr: expected a finite number >= 0"),
    (dict(meta=edit("optim.D.param_groups.0.lr", float("nan"))), "param_groups.0.lr: expected float"),
    (dict(meta=edit("optim.D.param_groups.0.betas", [0.5])), "param_groups.0.betas: expected tuple"),
    (dict(meta=edit("optim.D.param_groups", [])), "0 parameter groups saved, 1 built"),
    (dict(meta=edit("optim.G", None)), "metadata optim.G is missing"),
    (dict(meta=edit("config.model.G.options.width", 200000)), "its config does not build (config field model.G.options.width: expected an integer from 1 to 65536"),
    (dict(meta=edit("config.model.G.options.width", 4096)), "net.G.project.weight has shape [256, 8], its config builds [65536, 8]"),
    # tens of GB if built: the shapes are compared on the meta device first, nothing is allocated
    (dict(meta=edit("config.model.D.options.width", 60000)), "its config builds [60000, 1, 4, 4]; the checkpoint does not match"),
    (dict(meta=edit("config.model.z_dim", 10**9)), "model.z_dim: expected at most"),
    (dict(meta=edit("config.log.eval_samples", 10**9)), "log.eval_samples: expected at most"),
    (dict(meta=edit("config.seed", -1)), "config field seed"),
    (dict(meta=edit("config.optim.D.lr", float("inf"))), "optim.D.lr: expected a finite number"),
    (dict(meta=edit("spec.shape", [1, 100000, 100000])), "spec.shape [1, 100000, 100000] is not an item shape"),
    (dict(meta=edit("spec.shape", [8, 8])), "spec.shape [8, 8] is not an item shape"),
    (dict(meta=edit("spec.num_classes", "ten")), "metadata 'spec' has fields of the wrong type"),
    (dict(meta=edit("spec.bounded", None)), "metadata 'spec' is not a data description"),
    (dict(meta=edit("spec.name", 5)), "metadata 'spec' has fields of the wrong type"),
]


@pytest.mark.parametrize("change, message", CHECKPOINTS, ids=[str(c[1])[:40] for c in CHECKPOINTS])
def test_bad_checkpoints(capsys, tmp_path, trained, change, message):
    path = rewrite(newest(trained), tmp_path / "edited.safetensors", **change)
    code, err = run(capsys, "sample", path, "-o", tmp_path / "s.png")
    assert_one_line(code, err, message)
    assert "edited.safetensors" in err


def test_other_bad_checkpoint_files(capsys, tmp_path, trained):
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(newest(trained).read_bytes()[:500])
    save_file({"w": torch.zeros(1)}, str(tmp_path / "plain.safetensors"))
    (tmp_path / "text.safetensors").write_text("hello")
    foreign_data = rewrite(newest(trained), tmp_path / "foreign.safetensors",
                           meta=edit("config.data.name", "npz:/etc/passwd"))
    cases = [
        (["sample", cut], "cut.safetensors: not a readable checkpoint"),
        (["sample", tmp_path / "plain.safetensors"], "plain.safetensors: a safetensors file without gankit metadata"),
        (["sample", tmp_path / "text.safetensors"], "text.safetensors: not a readable checkpoint"),
        (["eval", foreign_data, "-o", tmp_path / "e.json"], "this run's data is 'npz:/etc/passwd', a path from the "
                                                            "metadata of a checkpoint not trained here; gankit reads it "
                                                            "only if you name it"),
        (["inspect", "lipschitz", foreign_data, "-o", tmp_path / "l.png"], "gankit reads it only if you name it"),
    ]
    for argv, message in cases:
        assert_one_line(*run(capsys, *argv), message)


def test_the_table_is_large():
    """157 in all: the three tables plus 9 config-file, 16 data-file and 5 checkpoint-file cases above."""
    assert len(CONFIG) + len(RUN_COMMANDS) + len(CHECKPOINTS) >= 120
