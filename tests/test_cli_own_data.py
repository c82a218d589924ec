"""A user's own images end to end: train on a folder, SWD logged, eval from another directory reproduces it."""
import json

import numpy as np
from PIL import Image

from gankit import cli

from .conftest import TINY_DIGITS
from .test_cli import config_file, run, run_dir_of


def make_folder(root, n=48, size=16):
    root.mkdir()
    rng = np.random.RandomState(0)
    for i in range(n):
        a = np.zeros((size, size, 3), np.uint8)
        a[:, : rng.randint(2, size - 2)] = rng.randint(0, 256, 3)  # a coloured band of random width
        Image.fromarray(a).save(root / f"img{i:03d}.png")
    (root / "README.txt").write_text("where the photos came from")


def test_folder_run_logs_swd_and_eval_from_elsewhere_reproduces_it(tmp_path, capsys, monkeypatch):
    make_folder(tmp_path / "photos")
    monkeypatch.chdir(tmp_path)
    cfg = config_file(tmp_path, TINY_DIGITS, data={"name": "folder:photos", "resolution": 16, "batch_size": 16},
                      log={**TINY_DIGITS["log"], "eval_every": 4, "eval_samples": 64})
    code, out, err = run(capsys, "train", "--config", cfg, "--set", "train.steps=4")
    assert code == 0 and "skipped 1 non-image file(s), e.g. README.txt" in err
    run_path = tmp_path / run_dir_of(out)
    saved = (run_path / "config.yaml").read_text()
    assert f"folder:{tmp_path / 'photos'}" in saved  # absolute: readable from any directory
    logged = [json.loads(line) for line in (run_path / "metrics.jsonl").read_text().splitlines()]
    at_4 = next(r for r in logged if r["step"] == 4 and "swd/avg" in r)
    assert at_4["swd/avg"] > 0 and "swd/16px" in at_4

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run(capsys, "eval", str(run_path), "--features", "dataset")  # SWD, as training logged it
    assert code == 0 and "avg" in out
    record = json.loads((run_path / "eval-step-0000004.json").read_text())
    assert record["metrics"]["swd/avg"] == at_4["swd/avg"]  # same checkpoint, same draw: the same number
    code, _, err = run(capsys, "eval", str(run_path), "--metrics", "toy")
    assert code == 2 and "metric toy needs a dataset with known modes" in err


def test_sample_out_dir_writes_pngs_the_folder_loader_reads(tmp_path, capsys):
    import numpy as np
    import torch

    from gankit.data import load_dataset
    from gankit.training.experiment import experiment_from_checkpoint

    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_DIGITS), "--set", "train.steps=1")
    run_path = run_dir_of(out)
    out_dir = tmp_path / "fakes"
    code, out, _ = run(capsys, "sample", run_path, "-n", "23", "--out-dir", str(out_dir), "--seed", "5")
    assert code == 0 and "wrote 23 PNG files" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names[0] == "000000.png" and names[-1] == "000022.png" and len(names) == 23
    read_back = load_dataset(f"folder:{out_dir}", resolution=8)
    exp, _ = experiment_from_checkpoint(run_path)
    expected = exp.generate(exp.objective.sample_z(23, torch.Generator().manual_seed(5)))
    expected = ((expected.clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1  # 8-bit, as PNG stores it
    np.testing.assert_allclose(read_back.x.numpy(), expected.numpy(), atol=1e-6)
    code, _, err = run(capsys, "sample", run_path, "--out-dir", str(out_dir))
    assert code == 2 and "already holds PNG files" in err
    code, _, err = run(capsys, "sample", run_path, "-o", str(tmp_path / "grid.jpgg"))
    assert code == 2 and "-o" in err and "nothing here writes .jpgg" in err
    assert not (tmp_path / "grid.jpgg").exists()


def test_eval_of_a_digits_run_reproduces_the_logged_evaluation(tmp_path, capsys):
    cfg = config_file(tmp_path, TINY_DIGITS, log={**TINY_DIGITS["log"], "eval_samples": 800})
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=2", "--set", "seed=4")
    run_path = tmp_path / run_dir_of(out)
    logged = [json.loads(line) for line in (run_path / "metrics.jsonl").read_text().splitlines()]
    trained = next(r for r in logged if r["step"] == 2 and "digits/fd" in r)
    code, out, _ = run(capsys, "eval", str(run_path))
    record = json.loads((run_path / "eval-step-0000002.json").read_text())
    assert record["seed"] == 4 + 2
    for key in ("digits/fd", "digits/precision", "digits/recall", "digits/coverage"):
        assert record["metrics"][key] == trained[key], key
