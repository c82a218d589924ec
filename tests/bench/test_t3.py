"""T3 on a tiny emoji-like dataset written here (10 labelled categories of coloured squares): every T3 preset builds
and trains, the final evaluation plans Inception features (planned, not run), and the gallery writes its grids."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.api import trainer_for
from gankit.bench.final import CLASS_METRIC, final_plans
from gankit.bench.gallery import write_gallery
from gankit.bench.tasks import FINAL_FEATURES, HEADLINE, TASKS
from gankit.cli import main
from gankit.config import build_config, deep_merge
from gankit.data import dataset_for
from gankit.data.dataset_zip import DatasetZipWriter

CLASSES = [f"category {i}" for i in range(10)]


def write_fake_emoji(folder, per_class: int = 7) -> None:
    """emoji-32.zip of 32x32 RGB squares, one colour per category, on white (the emoji datasets' layout)."""
    rng = np.random.default_rng(0)
    with DatasetZipWriter(folder / "emoji-32.zip") as writer:
        for label in range(len(CLASSES)):
            colour = rng.integers(0, 256, 3)
            for _ in range(per_class):
                pixels = np.full((32, 32, 3), 255, np.uint8)
                top, left = rng.integers(4, 12, 2)
                pixels[top : top + 16, left : left + 16] = colour
                writer.add(pixels, label)
        writer.write(CLASSES, 3, "test squares")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every T3 entry trained 2 steps on the fake emoji: (entry -> trainer), the dataset and the records."""
    folder = tmp_path_factory.mktemp("t3")
    write_fake_emoji(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANKIT_DATA", str(folder))
        mp.setenv("GANKIT_STATE_DIR", str(folder / "state"))
        torch.set_num_threads(1)
        trainers = {}
        for entry, preset in TASKS["t3"].items():
            cfg = build_config(deep_merge(preset, {
                "out_dir": str(folder / "runs"), "name": entry, "data": {"batch_size": 8},
                "train": {"steps": 2}, "log": {"eval_every": 2, "sample_every": 2, "checkpoint_every": 2,
                                               "eval_samples": 16, "progress": False}}))
            trainer = trainer_for(cfg, dataset=dataset_for(cfg.data))
            trainer.fit()
            trainers[entry] = trainer
        records = [{"task": "t3", "entry": e, "seed": 0, "run_dir": str(t.run_dir)} for e, t in trainers.items()]
        yield trainers, trainers["emoji-dcgan"].dataset, records, folder


def test_every_family_is_a_t3_entry_that_trains_on_the_emoji(trained):
    trainers, dataset, _, _ = trained
    assert dataset.spec.shape == (3, 32, 32) and dataset.spec.num_classes == 10
    assert {"emoji-dcgan", "emoji-sngan-resnet", "emoji-cgan", "emoji-vae", "emoji-vq-vae", "emoji-ebm", "emoji-ign",
            "emoji-dae", "emoji-bigan-qp"} <= set(TASKS["t3"])
    for gan in ("emoji-dcgan", "emoji-sngan-resnet", "emoji-cgan"):  # each GAN recipe also with ADA at target 0.6
        assert trainers[f"{gan}-ada"].cfg.ada.target == 0.6 and trainers[gan].cfg.ada.target == 0.0
    assert HEADLINE["t3"] == "swd/avg" and FINAL_FEATURES["t3"] == "inception"
    # the ResNet recipe with DiffAugment: the same networks and loss, every critic input augmented, six times the steps
    resnet, augmented = TASKS["t3"]["emoji-sngan-resnet"], TASKS["t3"]["emoji-sngan-resnet-diffaugment"]
    assert augmented["model"] == resnet["model"] and augmented["objective"] == resnet["objective"]
    assert augmented["train"]["steps"] == 6 * resnet["train"]["steps"] and not resnet.get("augment")
    assert trainers["emoji-sngan-resnet-diffaugment"].cfg.augment == "color,translation,cutout"
    for entry, trainer in trainers.items():
        assert trainer.step == 2, entry
        assert TASKS["t3"][entry]["data"]["name"] == "emoji" and TASKS["t3"][entry]["log"]["eval_samples"] == 2000
        final = trainer.last_eval
        if trainer.exp.objective.capabilities.samples:  # SWD of the samples; the VQ-VAE has no prior to sample
            assert 0 < final["swd/avg"] < 1e4, entry


def test_the_final_evaluation_plans_inception_features_and_the_category_accuracy(trained, tmp_path, monkeypatch):
    trainers, dataset, _, _ = trained
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"not read: planning only checks the file is there")
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(weights))
    (plan,) = final_plans("t3", trainers["emoji-dcgan"].exp, dataset.spec)
    assert plan.inception and plan.metrics == () and not plan.encoder
    inception, classes = final_plans("t3", trainers["emoji-cgan"].exp, dataset.spec)
    assert inception.inception and classes.metrics == (CLASS_METRIC,) and not classes.inception
    assert final_plans("t3", trainers["emoji-vq-vae"].exp, dataset.spec) == []  # no prior: nothing to sample
    assert final_plans("t2", trainers["emoji-dcgan"].exp, dataset.spec) == []  # other tasks: training metrics only


def picture_size(path):
    with Image.open(path) as im:
        return im.size, im.mode


def test_the_gallery_writes_one_grid_per_entry_and_a_real_grid(trained, tmp_path):
    trainers, dataset, records, _ = trained
    paths = write_gallery(records, "t3", tmp_path / "figures", dataset)
    names = {p.name for p in paths}
    assert names >= {"t3-real.png", *(f"t3-{e}.png" for e in trainers)}
    assert {"t3-emoji-vae-reconstructions.png", "t3-emoji-bigan-qp-reconstructions.png"} <= names
    for path in paths:
        expected = (256, 320) if path.name.startswith("t3-emoji-cgan") else (256, 256)  # one row of 8 per category
        assert picture_size(path) == (expected, "RGB"), path.name
    real = np.asarray(Image.open(tmp_path / "figures" / "t3-real.png"))
    assert real[:32, :32].min() < 255 and real[:32, :32].max() == 255  # a square on white, as the data holds
    cgan = np.asarray(Image.open(tmp_path / "figures" / "t3-emoji-cgan.png")).astype(float)
    assert np.abs(cgan[:32] - cgan[32:64]).max() > 0  # rows differ: each asks for another category


def test_the_gallery_command_refuses_an_output_folder_without_records(tmp_path, capsys):
    assert main(["bench", "gallery", "--out", str(tmp_path), "--figures", str(tmp_path / "f")]) == 2
    assert "no records of task t3 seed 0" in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


def test_a_smaller_final_evaluation_keeps_every_requested_class(trained):
    from gankit.bench.final import first_draws

    trainers, _, _, _ = trained
    exp = trainers["emoji-cgan"].exp
    z = exp.objective.sample_z(200)  # classes in blocks of 20
    kept = exp.objective.requested_classes(first_draws(exp, z, 60))
    assert torch.bincount(kept, minlength=10).tolist() == [6] * 10
    plain = trainers["emoji-dcgan"].exp
    z = plain.objective.sample_z(50)
    assert torch.equal(first_draws(plain, z, 20), z[:20]) and torch.equal(first_draws(plain, z, None), z)
