"""Config layers as plain dicts: YAML files, dotted --set overrides, and merging one over another."""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ConfigError


# Sections whose `name` picks a dataset, not a component with options of its own: their other fields (batch size,
# resolution, ...) are the loader's and outlive a new name.
MERGED_ON_RENAME = ("data",)


def deep_merge(base: dict, update: dict) -> dict:
    """`update` over `base`; mappings merge key by key, everything else is replaced. A mapping that
    names another component (a new `name`) or is empty replaces the old one, so options of the old
    component do not leak into the new one; the data section merges whatever its name (MERGED_ON_RENAME)."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        both_mappings = isinstance(value, dict) and isinstance(old, dict)
        renamed = both_mappings and key not in MERGED_ON_RENAME and value.get("name", old.get("name")) != old.get("name")
        if both_mappings and value and not renamed:
            out[key] = deep_merge(old, value)
        elif isinstance(old, list) and isinstance(value, dict) and value and all(str(k).isdigit() for k in value):
            out[key] = merge_items(old, value, key)  # --set penalties.0.weight=1 changes one item
        else:
            out[key] = value
    return out


def merge_items(items: list, update: dict, key: str) -> list:
    """The list with item i merged with update[i] for every index i in update."""
    out = list(items)
    for index, value in update.items():
        i = int(index)
        if i >= len(out):
            raise ConfigError(f"config field {key}.{i}: the list has {len(out)} item(s), numbered from 0")
        out[i] = deep_merge(out[i], value) if isinstance(out[i], dict) and isinstance(value, dict) else value
    return out


def parse_override(text: str) -> dict:
    """'train.steps=2000' -> {'train': {'steps': 2000}}; the value is read as YAML."""
    if "=" not in text:
        raise ConfigError(f"override {text!r}: expected KEY=VALUE, e.g. train.steps=2000")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {text!r}: empty key part")
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    return data


def objective_changes(data: dict, layer: dict) -> bool:
    """True when `layer` names an objective other than the one `data` has so far."""
    objective = layer.get("objective")
    new_name = objective.get("name") if isinstance(objective, dict) else None
    return bool(new_name) and new_name != data.get("objective", {}).get("name")


def network_names(layer: dict) -> set[str]:
    """The network names a config layer mentions under model and optim."""
    names = set()
    for section in ("model", "optim"):
        if isinstance(layer.get(section), dict):
            names |= {str(k) for k in layer[section] if k != "z_dim"}
    return names
