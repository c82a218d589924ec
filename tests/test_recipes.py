"""Model recipes: one algorithm's settings for any data, networks chosen by the data's shape."""
import numpy as np
from PIL import Image

from gankit import cli
from gankit.presets import load_preset, preset_names
from gankit.recipes import recipe_config, recipe_names

from .test_cli import run, run_dir_of


def test_recipes_adapt_to_the_data_shape(tmp_path):
    assert {"sngan", "wgan-gp", "dcgan"} <= set(recipe_names())
    vectors = recipe_config("sngan", overrides=["data.name=ring8"])
    assert vectors.model.networks["G"].name == "mlp" and vectors.name == "sngan-ring8"
    images = recipe_config("sngan", overrides=[f"data.name=folder:{tmp_path / 'photos'}", "data.resolution=32"])
    assert images.model.networks["G"].name == "sngan-cnn" and images.name == "sngan-folder-photos"
    assert images.constraints[0].name == "spectral-norm" and images.train.n_critic == 5
    default = recipe_config("wgan-gp")
    assert default.data.name == "digits-train" and default.model.networks["D"].options["norm"] == "layer"
    assert recipe_config("wgan-gp", overrides=["data.name=grid25"]).objective.options["gp_weight"] == 0.1
    assert recipe_config("dcgan", overrides=["name=mine", "data.name=digits"]).name == "mine"


def test_benchmark_presets_keep_their_names_and_list_says_which_is_which(capsys):
    assert "digits-sngan" in preset_names() and load_preset("digits-sngan")["data"]["name"] == "digits-train"
    assert not set(recipe_names()) & set(preset_names())
    code, out, _ = run(capsys, "list", "presets")
    assert code == 0
    assert "sngan  - recipe for any data (set data.name)" in out and "digits-sngan  - benchmark preset:" in out


def test_train_a_recipe_on_a_folder(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(photos / f"{i}.png")
    code, out, _ = run(capsys, "train", "sngan", "--set", f"data.name=folder:{photos}", "--set", "data.resolution=8",
                       "--set", f"out_dir={tmp_path / 'runs'}", "--set", "train.steps=1", "--set", "train.n_critic=1",
                       "--set", "model.G.options.width=8", "--set", "model.D.options.width=8",
                       "--set", "log.eval_samples=16", "--set", "log.progress=false", "--set", "data.batch_size=8")
    assert code == 0 and run_dir_of(out).endswith("-sngan-folder-photos")
