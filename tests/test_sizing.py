"""Data whose native size the networks cannot take (MNIST's 28 x 28 with the DCGAN preset) is padded to the
next side they take, with one line saying so; data.resolution still chooses another side."""
import numpy as np
import pytest
import torch
import yaml

import gankit
from gankit.cli import main
from gankit.data import load_dataset
from gankit.errors import ConfigError, DataError


def write_idx(folder, n: int = 48, side: int = 28):
    """An MNIST-layout pair of idx files (images idx3, labels idx1) of n random side x side images."""
    folder.mkdir(parents=True, exist_ok=True)
    images = np.random.default_rng(0).integers(0, 256, (n, side, side), dtype=np.uint8)
    header = bytes([0, 0, 8, 3]) + np.array([n, side, side], dtype=">i4").tobytes()
    (folder / "train-images-idx3-ubyte").write_bytes(header + images.tobytes())
    labels = np.arange(n, dtype=np.uint8) % 10
    (folder / "train-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + np.array([n], ">i4").tobytes() + labels.tobytes())
    return images


SMALL = ["--set", "train.steps=2", "--set", "train.n_critic=1", "--set", "data.batch_size=16", "--set", "train.threads=1",
         "--set", "model.G.options.width=8", "--set", "model.D.options.width=8", "--set", "log.progress=false",
         "--set", "log.sample_every=0", "--set", "log.eval_every=0", "--set", "log.checkpoint_every=2"]


def test_mnist_at_28_trains_with_the_dcgan_preset_padded_to_32(tmp_path, capsys):
    images = write_idx(tmp_path / "mnist")
    code = main(["train", "digits-wgan-gp", "--set", f"data.name=mnist:{tmp_path / 'mnist'}",
                 "--set", f"out_dir={tmp_path / 'runs'}", *SMALL])
    out, err = capsys.readouterr()
    assert code == 0, err
    (line,) = [l for l in err.splitlines() if "a side the networks do not take" in l]  # one line says how
    assert "is 28x28" in line and "padded, centred, with a black border to 32x32" in line and "data.resolution" in line
    (run_dir,) = (tmp_path / "runs").iterdir()
    data = yaml.safe_load((run_dir / "config.yaml").read_text())["data"]
    assert (data["resolution"], data["fit"]) == (32, "pad")  # recorded, so eval and resume read the same data
    run = gankit.load(run_dir)
    assert run.sample(3).shape == (3, 1, 32, 32)
    x = run.dataset.x  # the data as the run reads it again: the images, untouched, inside a 2-pixel black frame
    assert x.shape == (48, 1, 32, 32)
    torch.testing.assert_close(x[:, 0, 2:30, 2:30], torch.from_numpy(images).float() / 127.5 - 1)
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert bool((x[:, 0][:, border] == -1).all())
    assert main(["eval", str(run_dir), "-n", "20", "-o", str(tmp_path / "e.json")]) == 0  # swd on the padded data


def test_a_chosen_resolution_is_kept_and_resizes(tmp_path, capsys):
    write_idx(tmp_path / "mnist")
    code = main(["train", "digits-wgan-gp", "--set", f"data.name=mnist:{tmp_path / 'mnist'}", "--set",
                 "data.resolution=16", "--set", f"out_dir={tmp_path / 'runs'}", *SMALL])
    _, err = capsys.readouterr()
    assert code == 0 and "a side the networks do not take" not in err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["data"] == {**yaml.safe_load(
        (run_dir / "config.yaml").read_text())["data"], "resolution": 16, "fit": "resize"}
    assert gankit.load(run_dir).sample(2).shape == (2, 1, 16, 16)


def test_networks_that_take_the_native_size_leave_it_alone(tmp_path, capsys):
    write_idx(tmp_path / "mnist")
    code = main(["train", "ring8-wgan-gp", "--set", f"data.name=mnist:{tmp_path / 'mnist'}", "--set", "data.batch_size=16",
                 "--set", "train.steps=1", "--set", "log.progress=false", "--set", f"out_dir={tmp_path / 'runs'}"])
    _, err = capsys.readouterr()
    assert code == 0 and "networks do not take" not in err  # an MLP takes 28 x 28 as it is
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["data"]["resolution"] == 0


def test_padding_is_centred_black_and_never_crops(tmp_path):
    write_idx(tmp_path / "m", n=4, side=6)
    x = load_dataset(f"mnist:{tmp_path / 'm'}", 8, fit="pad").x
    native = load_dataset(f"mnist:{tmp_path / 'm'}").x
    assert x.shape == (4, 1, 8, 8) and torch.equal(x[:, :, 1:7, 1:7], native)
    assert bool((x[:, :, 0] == -1).all() and (x[:, :, :, 7] == -1).all())
    with pytest.raises(DataError, match="data.fit=pad makes images larger, but they are 6x6, above data.resolution 4"):
        load_dataset(f"mnist:{tmp_path / 'm'}", 4, fit="pad")
    with pytest.raises(DataError, match="not a power of two"):
        load_dataset(f"mnist:{tmp_path / 'm'}", 12, fit="pad")
    with pytest.raises(ConfigError, match="config field data.fit: 'crop'; choose from resize, pad"):
        gankit.resolve_config("digits-wgan-gp", {"data.fit": "crop"})


def test_the_benchmarks_trainer_fits_the_data_as_gankit_train_does(tmp_path):
    """api.trainer_for (the benchmarks' entry) pads 28 x 28 digits for the DCGAN networks too; it refused them."""
    from gankit.api import build_run_config, trainer_for

    write_idx(tmp_path / "mnist")
    sets = [f"data.name=mnist:{tmp_path / 'mnist'}", *(s for s in SMALL if s != "--set"), f"out_dir={tmp_path}"]
    trainer = trainer_for(build_run_config("digits-wgan-gp", sets=sets), tmp_path / "run")
    assert trainer.dataset.spec.shape == (1, 32, 32) and trainer.cfg.data.fit == "pad"
    trainer.train_iteration()
