"""Checkpoint formats: every checkpoint records gankit's version and a format number. A newer format is refused
in one line naming both; an older one is upgraded in memory when it loads (the file is left as it is).

Format 1 (gankit 0.1.0 before the objectives declared their networks): the config's model and optim sections
held fixed slots (G, D, E, U, T), built or not, and IGN stored its network f as G. Format 2: both sections hold
exactly the networks the objective declares, by the names it declares."""
from __future__ import annotations

from pathlib import Path

import torch

from .. import __version__
from ..config import ObjectiveConfig
from ..errors import CheckpointError, ConfigError
from .ema import ema_keys

FORMAT = 2


def format_header() -> dict:
    """The entries every checkpoint's metadata starts with."""
    return {"format": FORMAT, "gankit": __version__}


def upgrade(tensors: dict[str, torch.Tensor], meta: dict, path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, meta) in today's format; a CheckpointError for a format this gankit cannot read."""
    found = meta.get("format")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise CheckpointError(f"{path}: checkpoint format {found!r} is not one gankit writes (1 to {FORMAT})")
    if found > FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {found} (written by gankit {meta.get('gankit', '?')}); "
                              f"this gankit {__version__} reads formats up to {FORMAT}: upgrade gankit to load it")
    if found == 1:
        tensors, meta = upgrade_format_1(tensors, meta, path)
    return tensors, meta


def upgrade_format_1(tensors: dict[str, torch.Tensor], meta: dict, path: Path) -> tuple[dict, dict]:
    """Format 1 -> 2: the networks renamed as the objective says, model and optim cut to its declared networks."""
    from ..objectives import OBJECTIVES

    config = meta.get("config")
    if not isinstance(config, dict):
        return tensors, meta  # check_metadata names what is missing
    section = config.get("objective", {})
    objective = section.get("name", ObjectiveConfig().name) if isinstance(section, dict) else None
    if not isinstance(objective, str):
        raise CheckpointError(f"{path}: its metadata config.objective.name is {objective!r}, not an objective name")
    try:
        cls = OBJECTIVES.get(objective)
    except ConfigError as err:
        raise CheckpointError(f"{path}: a format-1 checkpoint of an objective this gankit does not know ({err})") from None
    for old, new in cls.renamed_networks.items():
        tensors, meta = rename_network(tensors, meta, old, new)
    declared = set(cls.networks)
    for section in ("model", "optim"):
        entries = config.get(section)
        if isinstance(entries, dict):
            config[section] = {k: v for k, v in entries.items() if k in declared or (section, k) == ("model", "z_dim")}
    return tensors, {**meta, "format": 2}


def rename_network(tensors: dict[str, torch.Tensor], meta: dict, old: str, new: str) -> tuple[dict, dict]:
    """Every tensor and metadata entry of network `old` under the name `new` (weights, EMA copy, optimizer, lr
    schedule; the config's model, optim and constraints)."""
    (old_ema, old_count), (new_ema, new_count) = ema_keys(old), ema_keys(new)
    prefixes = [(f"net.{old}.", f"net.{new}."), (old_ema, new_ema), (f"optim.{old}.", f"optim.{new}.")]
    exact = {old_count: new_count, f"lr_schedule.{old}": f"lr_schedule.{new}", f"lr_scale.{old}": f"lr_scale.{new}"}

    def renamed(key: str) -> str:
        for before, after in prefixes:
            if key.startswith(before):
                return after + key[len(before):]
        return exact.get(key, key)

    tensors = {renamed(k): v for k, v in tensors.items()}
    config = meta.get("config", {})
    for section in ("model", "optim"):
        if isinstance(config.get(section), dict) and old in config[section]:
            config[section][new] = config[section].pop(old)
    for constraint in config.get("constraints", []) if isinstance(config.get("constraints"), list) else []:
        if isinstance(constraint, dict) and constraint.get("network") == old:
            constraint["network"] = new
    if isinstance(meta.get("optim"), dict) and old in meta["optim"]:
        meta["optim"][new] = meta["optim"].pop(old)
    return tensors, meta
