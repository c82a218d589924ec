"""RGBA end to end: a 4-channel dataset ZIP trains, samples come out as RGBA PNGs, Inception inputs are the
RGBA images composited over white."""
import numpy as np
import torch
from PIL import Image

from gankit.data import load_dataset
from gankit.data.convert import convert
from gankit.metrics.inception import to_uint8_rgb

from .conftest import TINY_DIGITS
from .test_cli import config_file, run, run_dir_of


def rgba_folder(root, n=32, size=16):
    root.mkdir()
    rng = np.random.RandomState(0)
    for i in range(n):
        a = np.zeros((size, size, 4), np.uint8)
        a[:, : rng.randint(2, size - 2)] = (*rng.randint(0, 256, 3), 255)  # an opaque band, the rest transparent
        Image.fromarray(a, "RGBA").save(root / f"{i:03d}.png")


def test_rgba_zip_trains_and_samples_rgba_pngs(tmp_path, capsys):
    rgba_folder(tmp_path / "src")
    convert(tmp_path / "src", tmp_path / "rgba.zip", channels=4, quiet=True)
    data = load_dataset(f"zip:{tmp_path / 'rgba.zip'}")
    assert data.spec.shape == (4, 16, 16) and set(data.x[:, 3].unique().tolist()) == {-1.0, 1.0}
    cfg = config_file(tmp_path, TINY_DIGITS, data={"name": f"zip:{tmp_path / 'rgba.zip'}", "batch_size": 16})
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=2")
    assert code == 0
    run_path = run_dir_of(out)
    code, out, _ = run(capsys, "sample", run_path, "-n", "3", "--out-dir", str(tmp_path / "fakes"))
    assert code == 0
    images = [Image.open(p) for p in sorted((tmp_path / "fakes").glob("*.png"))]
    assert len(images) == 3 and all(im.mode == "RGBA" and im.size == (16, 16) for im in images)


def test_inception_input_composites_alpha_over_white():
    x = -torch.ones(2, 4, 4, 4)       # black, fully transparent
    x[1, 3] = 1.0                     # image 1 opaque black
    x[:, 0, 0, 0], x[:, 3, 0, 0] = 1.0, 0.0  # a half-transparent red pixel
    rgb = to_uint8_rgb(x)
    assert rgb.shape == (2, 3, 4, 4)
    assert (rgb[0, :, 1:, 1:] == 255).all() and (rgb[1, :, 1:, 1:] == 0).all()
    assert rgb[0, :, 0, 0].tolist() == [255, 128, 128]  # red half over white
