"""Checkpoints: one safetensors file of tensors + JSON metadata, written atomically; loading runs no code."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from ..errors import CheckpointError
from ..files import write_atomic, write_bytes
from .upgrade import format_header, upgrade
from .layout import match_layout

_NAME = re.compile(r"^step-(\d+)\.safetensors$")


def checkpoint_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step-{step:07d}.safetensors"


def save_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    text = json.dumps({**format_header(), **meta})
    # serialized in memory and written by open(): safetensors' save_file goes through its own 0600 temporary
    # file, which a kill leaves behind and whose mode ignores the umask the rest of the run gets
    data = save(plain, metadata={"gankit": text})
    write_atomic(path, lambda tmp: write_bytes(tmp, data))


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, metadata) of a checkpoint file; a CheckpointError if it is not a complete gankit one."""
    try:
        with safe_open(str(path), framework="pt") as f:
            text = (f.metadata() or {}).get("gankit")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable checkpoint ({err})") from None
    if text is None:
        raise CheckpointError(f"{path}: a safetensors file without gankit metadata")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: its gankit metadata is not valid JSON ({err.msg} at character {err.pos})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: its gankit metadata is a {type(meta).__name__}, expected a mapping")
    tensors, meta = upgrade(tensors, meta, path)  # a newer format is refused, an older one upgraded
    check_metadata(path, tensors, meta)
    return tensors, meta


REQUIRED_META = {"config": dict, "spec": dict, "optim": dict, "step": int}


def check_metadata(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """The entries every gankit checkpoint has, with their types; a CheckpointError names the first one off."""
    for key, kind in REQUIRED_META.items():
        if key not in meta:
            raise CheckpointError(f"{path}: its metadata lacks {key!r}; not a complete gankit checkpoint")
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise CheckpointError(f"{path}: metadata {key!r} should be a {kind.__name__}, got {type(meta[key]).__name__}")
    if meta["step"] < 0:
        raise CheckpointError(f"{path}: metadata 'step' is {meta['step']}, expected 0 or more")
    rng = tensors.get("rng.cpu")
    if rng is None or rng.dtype != torch.uint8 or rng.shape != torch.get_rng_state().shape:
        raise CheckpointError(f"{path}: no uint8 tensor 'rng.cpu' (the random state); not a complete gankit checkpoint")


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first (temporary files of interrupted writes are ignored)."""
    folder = Path(run_dir) / "checkpoints"
    found = [(int(m.group(1)), p) for p in folder.glob("step-*.safetensors") if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def find_checkpoint(run_or_file: Path) -> Path:
    """A checkpoint file as given, or the newest one of a run directory."""
    target = Path(run_or_file)
    if target.is_file():
        return target
    if not target.is_dir():
        raise CheckpointError(f"{target}: no such run directory or checkpoint file")
    found = list_checkpoints(target)
    if not found:
        raise CheckpointError(f"{target}: no checkpoint in {target / 'checkpoints'}")
    return found[-1]


def newest_loadable(run_dir: Path) -> tuple[Path, dict[str, torch.Tensor], dict, list[str]]:
    """(path, tensors, metadata, skipped) of the newest checkpoint of a run that loads; `skipped` says why each
    newer one did not. A CheckpointError if none does."""
    skipped = []
    for path in reversed(list_checkpoints(run_dir)):
        try:
            return (path, *load_checkpoint(path), skipped)
        except CheckpointError as err:
            skipped.append(str(err))
    if not skipped:
        raise CheckpointError(f"{run_dir}: nothing to resume, no checkpoint in {Path(run_dir) / 'checkpoints'}")
    raise CheckpointError(f"{run_dir}: no checkpoint loads; the newest: {skipped[0]}")


@dataclass
class ResumePoint:
    """The newest checkpoint of a run that loads, read once for everything a resume needs (its config, the
    shapes to check, the state), and the listing it was chosen from."""
    path: Path
    tensors: dict[str, torch.Tensor]
    meta: dict
    skipped: list[str]   # why newer checkpoints did not load
    listing: list[Path]  # the run's checkpoints when it was read

    @classmethod
    def read(cls, run_dir: Path) -> "ResumePoint":
        """A CheckpointError names the folder when there is nothing to resume."""
        run_dir = Path(run_dir)
        if run_dir.is_file():
            folder = run_dir.parent.parent if run_dir.parent.name == "checkpoints" else run_dir.parent
            raise CheckpointError(f"{run_dir}: a file; resuming takes the run directory (the folder holding "
                                  f"checkpoints/), e.g. {folder}")
        if not run_dir.exists():
            raise CheckpointError(f"{run_dir}: no such run directory, nothing to resume")
        listing = list_checkpoints(run_dir)
        if not listing:
            raise CheckpointError(f"{run_dir}: nothing to resume, no checkpoint in {run_dir / 'checkpoints'}")
        return cls(*newest_loadable(run_dir), listing)

    def stale(self) -> bool:
        """True when the run's checkpoints changed since this point was read."""
        return list_checkpoints(self.path.parent.parent) != self.listing


_LEFTOVER = re.compile(r"^(\..+\.tmp|\.tmp[A-Za-z0-9_]{6})$")  # write_atomic's, and safetensors' own


def remove_leftovers(run_dir: Path) -> list[str]:
    """Deletes temporary files a process killed mid-write left in the run directory, checkpoints/ and samples/
    (write_atomic's .NAME.tmp files and the .tmp-prefixed names of safetensors' own writer); call it holding the run's lock. Returns them."""
    run_dir = Path(run_dir)
    found = [p for folder in (run_dir, run_dir / "checkpoints", run_dir / "samples") if folder.is_dir()
             for p in folder.glob(".*") if _LEFTOVER.match(p.name) and p.is_file()]
    for p in found:
        p.unlink(missing_ok=True)
    return sorted(str(p.relative_to(run_dir)) for p in found)


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink(missing_ok=True)


# --- optimizer state <-> flat tensors + JSON ------------------------------------------------

def flatten_optimizer(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict]:
    state = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, entry in state["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{idx}.{key}"] = value
            else:
                scalars[f"{idx}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict, prefix: str,
                      source: Path | str = "checkpoint") -> None:
    where = f"{source}: {prefix}"
    try:
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith(prefix + "."):
                idx, name = key[len(prefix) + 1 :].split(".", 1)
                state.setdefault(int(idx), {})[name] = value
        for key, value in meta["scalars"].items():
            idx, name = key.split(".", 1)
            state.setdefault(int(idx), {})[name] = value
        groups = meta["param_groups"]
    except (KeyError, ValueError, AttributeError, TypeError) as err:
        raise CheckpointError(f"{where}: optimizer state is malformed ({type(err).__name__}: {err})") from None
    if not isinstance(groups, list) or len(groups) != len(opt.param_groups):
        raise CheckpointError(f"{where}: {len(groups) if isinstance(groups, list) else 'no list of'} parameter groups "
                              f"saved, {len(opt.param_groups)} built")
    for i, (saved, current) in enumerate(zip(groups, opt.param_groups)):
        check_param_group(saved, current, f"{where}.param_groups.{i}")
    try:
        opt.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"{where}: optimizer state does not fit the networks ({err})") from None
    match_layout(opt)


def check_param_group(saved, current: dict, where: str) -> None:
    """A saved parameter group has the built one's keys, each of the same kind, numbers finite, lr > 0.
    (The values themselves may differ from the config: a divergence rollback lowers lr.)"""
    if not isinstance(saved, dict):
        raise CheckpointError(f"{where}: expected a mapping, got {type(saved).__name__}")
    for key, value in current.items():
        if key == "params":
            if not isinstance(saved.get(key), list) or len(saved[key]) != len(value):
                raise CheckpointError(f"{where}.params: expected a list of {len(value)} parameter ids")
            continue
        if key not in saved:
            continue  # an option newer than the checkpoint: torch fills in the default
        if isinstance(value, tuple) and isinstance(saved[key], list):  # JSON turned tuples (betas) into lists
            saved[key] = tuple(saved[key])
        if not same_kind(saved[key], value):
            raise CheckpointError(f"{where}.{key}: expected {type(value).__name__} like {value!r}, got {saved[key]!r}")
    lr = saved.get("lr")
    if isinstance(lr, (int, float)) and not (math.isfinite(lr) and lr >= 0):  # a cosine schedule may end at 0
        raise CheckpointError(f"{where}.lr: expected a finite number >= 0, got {lr!r}")


def same_kind(a, b) -> bool:
    """Same JSON kind: numbers (finite) with numbers, booleans, strings, None, tuples item by item."""
    if isinstance(b, bool) or b is None or isinstance(b, str):
        return type(a) is type(b)
    if isinstance(b, (int, float)):
        return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a)
    if isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(same_kind(x, y) for x, y in zip(a, b))
    return True
