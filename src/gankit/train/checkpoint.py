"""Checkpoints: one safetensors file of tensors + JSON metadata, written atomically; loading runs no code."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..errors import CheckpointError

FORMAT = 1
_NAME = re.compile(r"^step-(\d+)\.safetensors$")


def checkpoint_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step-{step:07d}.safetensors"


def write_atomic(path: Path, write) -> None:
    """write(tmp_path), fsync, then rename over `path`: a crash leaves the old file or the new, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    text = json.dumps({"format": FORMAT, **meta})
    write_atomic(path, lambda tmp: save_file(plain, str(tmp), metadata={"gankit": text}))


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
    meta = json.loads(text)
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {meta.get('format')}, this gankit reads {FORMAT}")
    return tensors, meta


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


def restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict, prefix: str) -> None:
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    for key, value in meta["scalars"].items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    groups = meta["param_groups"]
    for saved, current in zip(groups, opt.param_groups):  # JSON turned tuples (betas) into lists
        for k, v in current.items():
            if isinstance(v, tuple) and isinstance(saved.get(k), list):
                saved[k] = tuple(saved[k])
    if len(groups) != len(opt.param_groups):
        raise CheckpointError(f"optimizer {prefix}: {len(groups)} parameter groups saved, {len(opt.param_groups)} built")
    opt.load_state_dict({"state": state, "param_groups": groups})
