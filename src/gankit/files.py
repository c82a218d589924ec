"""Files on disk: atomic writes (a crash leaves the old file or the new, never half of one), raw bytes, npz.
The ground floor: imported from everywhere, importing nothing of gankit."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


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


def write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Arrays into an .npz file, atomically."""
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, or numpy appends .npz to the temporary name
            np.savez(f, **arrays)

    write_atomic(path, write)

