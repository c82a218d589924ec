"""gankit score: the same numbers from folders as from .npz files of the same images, and from a run as from
its samples written out, and as gankit eval's; a small stand-in Inception keeps it fast."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.metrics import inception
from gankit.metrics.inception_net import FIDInceptionV3

from ..conftest import TINY_DIGITS
from ..test_cli import config_file, run, run_dir_of

METRICS = ("fd", "precision", "recall", "density", "coverage", "kid")


@pytest.fixture
def small_inception(monkeypatch, tmp_path):
    """A random 75-px network whose features are cut to 32 (2048-d eigendecompositions are slow on one core),
    standing in wherever the weights are loaded."""

    class First32(FIDInceptionV3):
        def features_and_logits(self, images):
            features, logits = super().features_and_logits(images)
            return features[:, :32], logits

    torch.manual_seed(0)
    model = First32(input_size=75).eval()
    monkeypatch.setattr(inception, "load_network", lambda weights, resize=None: (model, "stand-in"))
    monkeypatch.setattr(inception, "resolve_weights", lambda path: None)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


def image_folder(root, n, seed, size=16):
    root.mkdir()
    rng = np.random.RandomState(seed)
    pixels = np.zeros((n, size, size, 3), np.uint8)
    for i in range(n):
        pixels[i, :, : rng.randint(2, size - 2)] = rng.randint(0, 256, 3)  # a coloured band of random width
        Image.fromarray(pixels[i]).save(root / f"{i:03d}.png")
    return pixels


def scored(capsys, *argv) -> dict:
    code, out, err = run(capsys, "score", *argv)
    assert code == 0, err
    return out


def test_folders_and_npz_of_the_same_images_score_the_same(tmp_path, capsys, small_inception):
    a = image_folder(tmp_path / "a", 24, 0)
    b = image_folder(tmp_path / "b", 24, 1)
    np.savez(tmp_path / "a.npz", x=a)
    np.savez(tmp_path / "b.npz", x=b)
    scored(capsys, str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "folders.json"))
    scored(capsys, str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "-o", str(tmp_path / "arrays.json"))
    folders, arrays = (json.loads((tmp_path / f).read_text())["metrics"] for f in ("folders.json", "arrays.json"))
    assert folders == arrays
    assert folders["inception/n_real"] == folders["inception/n_fake"] == 24 and folders["inception/fd"] > 0
    assert folders["inception/extractor"] == "stand-in" and "bilinear to 75" in folders["inception/resize"]
    scored(capsys, str(tmp_path / "a"), str(tmp_path / "a.npz"), "-o", str(tmp_path / "self.json"))
    itself = json.loads((tmp_path / "self.json").read_text())["metrics"]
    assert abs(itself["inception/fd"]) < 1e-6 and itself["inception/precision"] == itself["inception/recall"] == 1.0
    assert itself["swd/avg"] < folders["swd/avg"] / 2  # SWD draws different patches from each set: not 0


def test_a_run_scores_as_its_written_samples_and_as_eval(tmp_path, capsys, small_inception):
    image_folder(tmp_path / "real", 32, 2)
    cfg = config_file(tmp_path, TINY_DIGITS, data={"name": f"folder:{tmp_path / 'real'}", "batch_size": 16},
                      log={**TINY_DIGITS["log"], "eval_samples": 32})
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=2")
    run_path = run_dir_of(out)
    scored(capsys, run_path, str(tmp_path / "real"), "-n", "32", "-o", str(tmp_path / "run.json"))
    from_run = json.loads((tmp_path / "run.json").read_text())["metrics"]
    code, out, _ = run(capsys, "sample", run_path, "-n", "32", "--seed", "2", "--out-dir", str(tmp_path / "fakes"))
    scored(capsys, str(tmp_path / "fakes"), str(tmp_path / "real"), "-o", str(tmp_path / "fakes.json"))
    from_files = json.loads((tmp_path / "fakes.json").read_text())["metrics"]
    # seed 0 + 2: the draw training's evaluation and gankit eval use; equal up to float summation order
    assert from_run.keys() == from_files.keys() and from_run["inception/n_fake"] == 32
    for key, value in from_run.items():
        assert from_files[key] == (pytest.approx(value, rel=1e-9, abs=1e-9) if isinstance(value, float) else value), key
    code, out, _ = run(capsys, "eval", run_path, "--features", "inception", "-n", "32", "-o", str(tmp_path / "eval.json"))
    from_eval = json.loads((tmp_path / "eval.json").read_text())["metrics"]
    for name in METRICS[:-1]:  # eval draws the same 32 real images in another order: KID's subsets differ
        assert from_eval[f"inception/{name}"] == pytest.approx(from_run[f"inception/{name}"], rel=1e-9, abs=1e-9)


def test_errors_are_one_line(tmp_path, capsys):
    image_folder(tmp_path / "a", 12, 0)
    image_folder(tmp_path / "b", 12, 1, size=8)
    code, _, err = run(capsys, "score", str(tmp_path / "a"), str(tmp_path / "nowhere"), "--features", "none")
    assert code == 2 and "no such file or folder" in err and len(err.strip().splitlines()) == 1
    out = scored(capsys, str(tmp_path / "a"), str(tmp_path / "b"), "--features", "none")  # B resized to A's 16
    assert "16x16" in out
