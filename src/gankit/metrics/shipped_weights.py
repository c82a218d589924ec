"""The small classifiers gankit ships weights for (the digits evaluator, the emoji category classifier): saved as
safetensors with their recipe's name, versioned by the file's checksum, loaded frozen."""
from __future__ import annotations

import hashlib
from pathlib import Path

from safetensors.torch import load_file, save
from torch import nn

from ..errors import CheckpointError
from ..files import write_atomic, write_bytes


def save_weights(model: nn.Module, path: Path, recipe: str) -> str:
    """The model's weights into `path` atomically (in memory first, so the file takes the umask's mode); its version."""
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    data = save(tensors, metadata={"recipe": recipe})
    write_atomic(Path(path), lambda tmp: write_bytes(tmp, data))
    return weights_version(path, recipe)


def weights_version(path: Path, recipe: str) -> str:
    """The recipe name and the first 8 hex digits of the weights file's SHA-256."""
    return f"{recipe}-{hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]}"


def load_weights(model: nn.Module, path: Path, recipe: str, missing: str) -> tuple[nn.Module, str]:
    """`model` with the weights of `path`, in eval mode without gradients, and their version; a missing file is a
    CheckpointError saying `missing` (how to make the weights again)."""
    if not Path(path).exists():
        raise CheckpointError(missing)
    model.load_state_dict(load_file(str(path)))
    return model.eval().requires_grad_(False), weights_version(path, recipe)
