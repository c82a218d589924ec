"""The command line: train, resume, sample, list, and one-line errors for user mistakes."""
import numpy as np
import pytest
import yaml
from PIL import Image

from gankit import cli

from .conftest import TINY_DIGITS, TINY_TOY


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def config_file(tmp_path, base, **extra):
    path = tmp_path / "tiny.yaml"
    data = {**base, "out_dir": str(tmp_path / "runs"), **extra}
    path.write_text(yaml.safe_dump(data))
    return str(path)


def trained_run(tmp_path, base, steps: int = 2):
    """The run directory of `gankit train` on a tiny config for a few steps."""
    from gankit import cli

    assert cli.main(["train", "--config", config_file(tmp_path, base), "--set", f"train.steps={steps}"]) == 0
    return next((tmp_path / "runs").iterdir())


def run_dir_of(out):
    line = next(l for l in out.splitlines() if l.startswith("run directory:"))
    return line.split(": ", 1)[1]


def test_train_resume_and_sample_without_the_dataset(tmp_path, capsys, monkeypatch):
    cfg = config_file(tmp_path, TINY_DIGITS)
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=2")
    assert code == 0
    run_path = run_dir_of(out)
    code, out, _ = run(capsys, "train", "--resume", run_path, "--set", "train.steps=4")
    assert code == 0 and "from step 2" in out and "step-0000004" in out

    import gankit.data

    def no_data(*a, **k):
        raise AssertionError("sample must not load the dataset")

    monkeypatch.setattr(gankit.data, "load_dataset", no_data)
    grid = tmp_path / "grid.png"
    code, out, _ = run(capsys, "sample", run_path, "-n", "64", "-o", str(grid))
    assert code == 0 and "EMA generator at step 4" in out
    im = Image.open(grid)
    assert im.size == ((8 * 9 + 1) * 4,) * 2  # 8x8 cells of 8 px + 1 px gaps, enlarged x4
    code, _, _ = run(capsys, "sample", run_path, "-n", "10", "-o", str(tmp_path / "x.npz"))
    x = np.load(tmp_path / "x.npz")["x"]
    assert code == 0 and x.shape == (10, 1, 8, 8) and np.abs(x).max() <= 1.0


def test_sample_writes_every_picture_format_pillow_writes(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_DIGITS), "--set", "train.steps=1")
    run_path = run_dir_of(out)
    side = (8 * 9 + 1) * 4  # 8x8 cells of 8 px + 1 px gaps, enlarged x4
    for suffix, fmt in ((".jpg", "JPEG"), (".webp", "WEBP"), (".jpeg", "JPEG"), (".tif", "TIFF"), (".bmp", "BMP")):
        path = tmp_path / f"grid{suffix}"
        code, out, _ = run(capsys, "sample", run_path, "-n", "64", "-o", str(path))
        assert code == 0 and str(path) in out
        assert (", quality 95)" in out) == (fmt in ("JPEG", "WEBP"))  # the stated quality of a lossy format
        with Image.open(path) as im:
            assert im.format == fmt and im.size == (side, side) and im.mode in ("L", "RGB")  # WebP has no grey
    png = np.asarray(Image.open(tmp_path / "grid.tif").convert("L"), dtype=float)  # lossless: the PNG's pixels
    for suffix in (".jpg", ".webp"):  # lossy, but close at quality 95, and smaller at a lower quality
        assert np.abs(np.asarray(Image.open(tmp_path / f"grid{suffix}").convert("L"), dtype=float) - png).mean() < 4
        code, out, _ = run(capsys, "sample", run_path, "-n", "64", "-o", str(tmp_path / f"low{suffix}"), "--quality", "20")
        assert code == 0 and "quality 20)" in out
        assert (tmp_path / f"low{suffix}").stat().st_size < (tmp_path / f"grid{suffix}").stat().st_size


def test_a_suffix_nothing_writes_is_refused_before_the_run_is_read(tmp_path, capsys):
    code, _, err = run(capsys, "sample", str(tmp_path / "no-such-run"), "-o", str(tmp_path / "x.docx"))
    assert code == 2 and "nothing here writes .docx" in err and "no such run" not in err


def test_toy_sample_is_a_scatter_plot(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")
    assert code == 0
    out_png = tmp_path / "pts.png"
    run_path = run_dir_of(out)
    assert run(capsys, "sample", run_path, "-n", "500", "-o", str(out_png))[0] == 0
    assert Image.open(out_png).size[0] > 300
    code, out, _ = run(capsys, "sample", run_path, "-n", "500", "-o", str(tmp_path / "pts.jpg"))
    assert code == 0 and "(JPG, quality 95)" in out
    with Image.open(tmp_path / "pts.jpg") as im:
        assert im.format == "JPEG" and im.size == Image.open(out_png).size
    assert run(capsys, "sample", run_path, "-n", "500", "-o", str(tmp_path / "pts.pdf"))[0] == 0
    assert (tmp_path / "pts.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("argv, message", [
    (["train", "ring8-wgan"], "unknown preset 'ring8-wgan'; did you mean 'ring8-wgan-gp'?"),
    (["train", "ring8-wgan-pg"], "unknown preset 'ring8-wgan-pg'; did you mean 'ring8-wgan-gp'? (gankit list presets)"),
    (["train", "no-such-preset"], "gankit: error: unknown preset 'no-such-preset' (gankit list presets)\n"),
    (["train", "--set", "objective.name=no-such-loss"], "error: unknown objective 'no-such-loss' (gankit list objectives)\n"),
    (["train", "--set", "train.stpes=3"], "unknown config key 'train.stpes'; did you mean 'steps'?"),
    (["train", "--set", "train.steps=many"], "config field train.steps: expected an integer, got 'many'"),
    (["train", "--set", "objective.name=wgan-pg"], "unknown objective 'wgan-pg'; did you mean 'wgan-gp'?"),
    (["train", "--set", "data.name=digts"], "unknown dataset 'digts'; did you mean 'digits'?"),
    (["train", "--set", "data.resolution=12"], "resolution 12 is not a power of two"),
    (["train", "--config", "/nonexistent.yaml"], "cannot read config file /nonexistent.yaml"),
    (["train", "--resume", "/nonexistent-run"], "nothing to resume"),
    (["sample", "/nonexistent-run"], "no such run directory or checkpoint file"),
])
def test_user_mistakes_get_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_data_folders_and_arrays(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "train", "--set", f"data.name=folder:{empty}", "--set", "data.resolution=8")
    assert code == 2 and "the folder has no image files" in err
    (empty / "x.gif").write_bytes(b"GIF89a")
    code, _, err = run(capsys, "train", "--set", f"data.name=folder:{empty}", "--set", "data.resolution=8")
    assert code == 2 and "skipped 1 non-image file(s), e.g. x.gif" in err and "has no image files" in err
    np.savez(tmp_path / "a.npz", x=np.zeros((5,)))
    code, _, err = run(capsys, "train", "--set", f"data.name=npz:{tmp_path / 'a.npz'}")
    assert code == 2 and "got shape [5]" in err


def test_incompatible_checkpoint(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")
    run_path = run_dir_of(out)
    code, _, err = run(capsys, "train", "--resume", run_path, "--set", "model.G.options.hidden=8")
    assert code == 2 and "model.G.options.hidden cannot change" in err

    from gankit.config import build_config
    from gankit.data import load_dataset
    from gankit.errors import CheckpointError
    from gankit.training.experiment import build_experiment
    from gankit.training.checkpoint import find_checkpoint, load_checkpoint

    cfg = build_config(TINY_TOY, overrides=["model.D.options.hidden=8"])
    exp = build_experiment(cfg, load_dataset("ring8").spec)
    path = find_checkpoint(run_path)
    with pytest.raises(CheckpointError, match=r"net.D.net.0.weight has shape \[16, 2\], the config builds \[8, 2\]"):
        exp.load_state(*load_checkpoint(path), path)
    (tmp_path / "bad.safetensors").write_bytes(b"garbage")
    code, _, err = run(capsys, "sample", str(tmp_path / "bad.safetensors"))
    assert code == 2 and "not a readable checkpoint" in err


def test_resume_of_a_finished_run_says_so(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")
    code, out, _ = run(capsys, "train", "--resume", run_dir_of(out))
    assert code == 0 and "already at step 1 of 1" in out


def test_a_resume_that_stretches_a_cosine_schedule_says_how_far_the_lr_moves(tmp_path, capsys):
    """optim.D: cosine over train.steps, to 0.1 of lr 1e-3. D takes 2 steps per iteration (n_critic 2): 6 of 6
    at step 3, where the lr has reached its end, 1e-4; over 12 it is half-way there: 1e-3 x (0.1 + 0.9 / 2) = 5.5e-4."""
    cfg = config_file(tmp_path, TINY_TOY, optim={"G": {"lr": 1e-3}, "D": {"lr": 1e-3, "lr_schedule": "cosine"}})
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=3")
    code, out, _ = run(capsys, "train", "--resume", run_dir_of(out), "--set", "train.steps=6")
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith("note: optim.")]
    assert notes == ["note: optim.D's cosine schedule spans train.steps (its decay_steps is 0): 12 optimizer steps "
                     "now, not 6, so its lr moves from 0.0001 to 0.00055 at this step"]


def test_list_and_help(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name in ("ring8", "folder:PATH", "dcgan", "wgan-gp", "hinge", "lsgan", "minimax", "ns", "gp", "weight-clip",
                 "digits-wgan-gp", "ring8-wgan-gp"):
        assert name in out
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    help_text = capsys.readouterr().out
    for option in ("--config", "--set", "--resume", "preset"):
        assert option in help_text


def test_eval_digits_run_writes_json(tmp_path, capsys):
    import json

    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_DIGITS), "--set", "train.steps=2")
    run_path = run_dir_of(out)
    code, out, _ = run(capsys, "eval", run_path, "-n", "797")
    assert code == 0 and "EMA generator" in out and "evaluator: digits-mlp-v1-" in out
    record = json.loads(next((tmp_path / "runs").glob("*/eval-step-0000002.json")).read_text())
    assert record["ema"] and record["n"] == 797
    assert set(record["metrics"]) >= {"digits/fd", "digits/precision", "digits/recall", "digits/density",
                                      "digits/coverage", "digits/classes", "digits/class_kl"}
    assert record["metrics"]["digits/fd"] > 1.0  # two steps of training are far from the data


def test_eval_without_metrics_says_so(tmp_path, capsys):
    cfg = config_file(tmp_path, TINY_TOY, data={"name": "swissroll", "batch_size": 32})
    code, out, _ = run(capsys, "train", "--config", cfg, "--set", "train.steps=1")
    code, _, err = run(capsys, "eval", run_dir_of(out))
    assert code == 2 and "lists no metrics" in err


def test_metrics_that_do_not_fit_the_samples_and_bad_counts(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")
    code, _, err = run(capsys, "eval", run_dir_of(out), "--metrics", "digits")
    assert code == 2 and "metric digits needs 8x8 grey images" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as stop:
        cli.main(["sample", run_dir_of(out), "-n", "0"])
    assert stop.value.code == 2 and "expected a number >= 1, got 0" in capsys.readouterr().err
