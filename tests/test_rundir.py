"""Run directories: a run trained here is trusted to name its own data files; a copy from elsewhere is not."""
import shutil

import numpy as np

from gankit import cli
from gankit.rundir import is_trusted_run



def test_own_run_reads_its_data_file_and_a_copy_needs_data(tmp_path, capsys):
    points = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    np.savez(tmp_path / "points.npz", x=points)
    out = tmp_path / "runs"
    code = cli.main(["train", "ring8-wgan-gp", "--set", f"out_dir={out}", "--set", f"data.name=npz:{tmp_path / 'points.npz'}",
                     "--set", "train.steps=2", "--set", "log.progress=false", "--set", "log.eval_every=0",
                     "--set", "log.eval_samples=50", "--set", "data.batch_size=32"])
    assert code == 0
    run = next(out.iterdir())
    assert is_trusted_run(run)
    capsys.readouterr()
    # the run's own data is a file with no toy modes: the metric list is empty, so name one; reading it is allowed
    assert cli.main(["encode", str(run), "-o", str(tmp_path / "z.npz")]) == 2
    assert "has no encoder" in capsys.readouterr().err  # got past the data consent check to the objective's
    copy = tmp_path / "elsewhere" / run.name
    shutil.copytree(run, copy)
    assert not is_trusted_run(copy)
    assert cli.main(["inspect", "lipschitz", str(copy), "-o", str(tmp_path / "l.png")]) == 2
    assert "gankit reads it only if you name it: --data npz:" in capsys.readouterr().err
    assert cli.main(["inspect", "lipschitz", str(run), "-o", str(tmp_path / "l.png"), "-n", "50"]) == 0


def test_resuming_a_copied_run_needs_its_data_named(tmp_path, capsys):
    points = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    data = tmp_path / "points.npz"
    np.savez(data, x=points)
    out = tmp_path / "runs"
    base = ["--set", f"out_dir={out}", "--set", f"data.name=npz:{data}", "--set", "train.steps=2",
            "--set", "log.progress=false", "--set", "log.eval_every=0", "--set", "data.batch_size=32"]
    assert cli.main(["train", "ring8-wgan-gp", *base]) == 0
    copy = tmp_path / "elsewhere" / "run"
    shutil.copytree(next(out.iterdir()), copy)
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(copy), "--set", "train.steps=3"]) == 2
    assert f"gankit reads it only if you name it: --set data.name=npz:{data}" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(copy), "--set", "data.name=npz:/other.npz"]) == 2
    assert "data.name cannot change" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(copy), "--set", "train.steps=3", "--set", f"data.name=npz:{data}"]) == 0
