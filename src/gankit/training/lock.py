"""One writer per run directory: an flock on RUN/.lock, held for the whole run.

The kernel drops an flock when its process dies, even by kill -9, so a lock file left behind by a dead run
is taken over without any staleness guess; the file only records who holds it, for the error message."""
from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from ..errors import CheckpointError

LOCK_NAME = ".lock"


class RunLock:
    """Context manager: exclusive, non-blocking lock of a run directory; a CheckpointError names the holder."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> "RunLock":
        if self.fd is not None:  # already ours (resume, then fit)
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise CheckpointError(f"{self.path.parent}: cannot write to the run directory ({err.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(fd)
            os.close(fd)
            raise CheckpointError(f"{self.path.parent}: another gankit process ({holder}) is writing to this run; "
                                  "wait for it to finish or stop it") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def read_holder(fd: int) -> str:
    """'pid N on HOST' from the lock file, or a vaguer phrase if it cannot be read yet."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"pid {int(info['pid'])} on {info['host']}"
    except (ValueError, KeyError, TypeError, OSError):
        return "pid unknown"
