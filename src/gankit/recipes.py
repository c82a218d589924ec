"""Model recipes: an algorithm's settings for any data (`gankit train sngan --set data.name=folder:PATH`), with
the networks chosen by the data's shape (images or vectors); the run is named after recipe and data. The
dataset-specific benchmark presets (digits-sngan, ring8-wgan-gp, ...) stay as they are beside them."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from .config import Config, build_config, deep_merge
from .errors import ConfigError

IMAGE_KINDS = {"folder", "zip", "mnist", "fashion-mnist", "cifar10", "cifar100", "digits", "digits-train",
               "digits-test", "stacked-digits"}
VECTOR_KINDS = {"ring8", "grid25", "swissroll"}
DEFAULT_DATA = "digits-train"  # when a recipe is run without data.name


def _files():
    return resources.files("gankit.presets").joinpath("recipes")


def recipe_names() -> list[str]:
    return sorted(p.name[:-5] for p in _files().iterdir() if p.name.endswith(".yaml"))


def is_recipe(name: str | None) -> bool:
    return bool(name) and name in recipe_names()


def load_recipe(name: str) -> dict:
    return yaml.safe_load(_files().joinpath(f"{name}.yaml").read_text()) or {}


def recipe_summary(name: str) -> str:
    first = _files().joinpath(f"{name}.yaml").read_text().splitlines()[0]
    return first.lstrip("# ").strip()


def data_shape_kind(data_name: str, resolution: int) -> str:
    """'image' or 'vector' for a dataset name; unknown kinds (and npz) are loaded to find out."""
    kind = data_name.partition(":")[0]
    if kind in IMAGE_KINDS:
        return "image"
    if kind in VECTOR_KINDS:
        return "vector"
    from .data import load_dataset

    return "image" if load_dataset(data_name, resolution).spec.is_image else "vector"


def data_label(data_name: str) -> str:
    """'digits-train' -> 'digits-train'; 'folder:/x/photos' -> 'folder-photos'."""
    kind, _, arg = data_name.partition(":")
    return f"{kind}-{Path(arg).stem}" if arg else kind


def recipe_config(name: str, files: list[Path] = (), overrides: list[str] = ()) -> Config:
    """The recipe's settings, then the block for the data's shape, then config files and --set overrides;
    the run name defaults to <recipe>-<data>."""
    recipe = load_recipe(name)
    by_shape = recipe.pop("by_shape", {})
    base = deep_merge(recipe, {"data": {"name": DEFAULT_DATA}})
    first = build_config(base, files, overrides)  # only to learn which data the user chose
    shape = data_shape_kind(first.data.name, first.data.resolution)
    if shape not in by_shape:
        raise ConfigError(f"recipe {name} has no settings for {shape} data ({first.data.name})")
    merged = deep_merge(base, by_shape[shape])
    merged["name"] = f"{name}-{data_label(first.data.name)}"
    return build_config(merged, files, overrides)
