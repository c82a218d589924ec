"""One writer per run directory: a second one gets a one-line error naming the holder; a dead holder's lock
file is taken over."""
import os
import subprocess
import sys

import pytest

from gankit.errors import CheckpointError
from gankit.training.lock import LOCK_NAME, RunLock

from ..conftest import TINY_TOY, tiny
from .test_trainer import make_trainer


def test_a_second_writer_gets_an_error_naming_the_first(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(CheckpointError, match=rf"another gankit process \(pid {os.getpid()} on .+\)"):
            RunLock(tmp_path).acquire()
    with RunLock(tmp_path):  # released: free again
        pass


def test_a_second_trainer_on_the_same_run_is_refused(tmp_path):
    first = make_trainer(tiny(TINY_TOY, tmp_path, "train.steps=3"), tmp_path / "run")
    first.fit()
    resumed = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    resumed.resume()  # holds the lock from here on
    second = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    with pytest.raises(CheckpointError, match="another gankit process"):
        second.resume()
    resumed.fit()
    second.resume()  # the first one finished
    second.lock.release()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    code = (f"import fcntl, os; fd = os.open({str(tmp_path / LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT); "
            "os.write(fd, b'{\"pid\": 1, \"host\": \"elsewhere\"}'); fcntl.flock(fd, fcntl.LOCK_EX); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)  # dies holding it, as kill -9 would
    assert (tmp_path / LOCK_NAME).read_text()  # the stale file is still there
    with RunLock(tmp_path) as lock:
        assert str(os.getpid()) in (tmp_path / LOCK_NAME).read_text() and lock.fd is not None


def test_a_read_only_run_directory_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(CheckpointError, match="cannot write to the run directory"):
            RunLock(tmp_path).acquire()
    finally:
        tmp_path.chmod(0o700)
