"""YAML presets shipped with the package, named <dataset>-<objective>."""
from __future__ import annotations

from importlib import resources

import yaml

from ..errors import ConfigError
from ..registry import did_you_mean

DEFAULT = "digits-wgan-gp"


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


def load_preset(name: str) -> dict:
    """The preset's dict, with `name` defaulting to the preset's name."""
    names = preset_names()
    if name not in names:
        raise ConfigError(f"unknown preset {name!r}{did_you_mean(name, names)} (gankit list presets)")
    data = yaml.safe_load(resources.files(__name__).joinpath(f"{name}.yaml").read_text()) or {}
    data.setdefault("name", name)
    return data


def preset_summary(name: str) -> str:
    """The first comment line of a preset file."""
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text()
    first = text.splitlines()[0] if text else ""
    return first.lstrip("# ").strip() if first.startswith("#") else ""
