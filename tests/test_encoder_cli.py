"""encode / reconstruct / interpolate on an encoder run, and the one-line error on a run without one."""
import numpy as np
import pytest
from PIL import Image

from .conftest import TINY_BIGAN, TINY_DIGITS
from .test_cli import config_file, run, run_dir_of, trained_run


@pytest.fixture(scope="module")
def bigan_run(tmp_path_factory):
    return trained_run(tmp_path_factory.mktemp("bigan"), TINY_BIGAN)


def test_encode_writes_codes_and_labels(bigan_run, tmp_path, capsys):
    out = tmp_path / "codes.npz"
    code, text, _ = run(capsys, "encode", str(bigan_run), "--data", "digits-test", "-n", "50", "-o", str(out))
    arrays = np.load(out)
    assert code == 0 and arrays["z"].shape == (50, 8) and arrays["y"].shape == (50,) and "with their labels" in text


def test_reconstruct_puts_originals_above_reconstructions(bigan_run, tmp_path, capsys):
    out = tmp_path / "rec.png"
    code, text, _ = run(capsys, "reconstruct", str(bigan_run), "-n", "12", "--nrow", "6", "-o", str(out))
    assert code == 0 and "originals above reconstructions" in text
    assert Image.open(out).size == ((6 * 9 + 1) * 4, (4 * 9 + 1) * 4)  # 6 per row, 2 pairs of rows
    npz = tmp_path / "rec.npz"
    assert run(capsys, "reconstruct", str(bigan_run), "-n", "5", "-o", str(npz))[0] == 0
    arrays = np.load(npz)
    assert arrays["x"].shape == arrays["reconstruction"].shape == (5, 1, 8, 8)


def test_interpolate_between_codes_and_real_images(bigan_run, tmp_path, capsys):
    out = tmp_path / "z.npz"
    assert run(capsys, "interpolate", str(bigan_run), "--rows", "3", "--steps", "5", "-o", str(out))[0] == 0
    assert np.load(out)["x"].shape == (3, 5, 1, 8, 8)
    real = tmp_path / "real.npz"
    code, text, _ = run(capsys, "interpolate", str(bigan_run), "--rows", "2", "--steps", "4", "--data", "digits-test",
                        "--mode", "linear", "-o", str(real))
    x = np.load(real)["x"]
    assert code == 0 and x.shape == (2, 6, 1, 8, 8) and "shown at both ends" in text
    from gankit.data.digits import digits_arrays

    pool = digits_arrays("test")[0].numpy()
    assert any(np.array_equal(x[0, 0], p) for p in pool)  # the frame is a real digit


def test_encoder_commands_refuse_a_run_without_encoder(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_DIGITS), "--set", "train.steps=1")
    run_dir = run_dir_of(out)
    for argv in (["encode", run_dir, "-o", str(tmp_path / "c.npz")],
                 ["reconstruct", run_dir, "-o", str(tmp_path / "r.png")],
                 ["interpolate", run_dir, "--data", "digits", "-o", str(tmp_path / "i.png")]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and "objective 'ns' has no encoder" in err
    assert run(capsys, "interpolate", run_dir, "-o", str(tmp_path / "i.png"))[0] == 0  # latent paths need no encoder


def test_picture_commands_on_vector_data_need_npz(tmp_path, capsys):
    from .conftest import TINY_TOY

    bigan_toy = {**TINY_TOY, "objective": {"name": "bigan"}, "optim": {k: {"name": "adam", "lr": 1e-4} for k in "GED"},
                 "model": {**TINY_TOY["model"], "E": {"name": "mlp", "options": {"hidden": 8}},
                           "D": {"name": "mlp", "options": {"hidden": 8, "joint_hidden": 8}}}}
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, bigan_toy), "--set", "train.steps=1")
    run_dir = run_dir_of(out)
    code, _, err = run(capsys, "reconstruct", run_dir, "-o", str(tmp_path / "r.png"))
    assert code == 2 and "reconstruct draws image grids; dataset ring8 is vectors, write .npz" in err
    assert run(capsys, "reconstruct", run_dir, "-n", "7", "-o", str(tmp_path / "r.npz"))[0] == 0
    assert np.load(tmp_path / "r.npz")["reconstruction"].shape == (7, 2)
