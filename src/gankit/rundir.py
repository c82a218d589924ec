"""Run directories: runs/<date>-<name>/ with samples/ and checkpoints/, the layout every command reads."""
from __future__ import annotations

import os
import time
from pathlib import Path

from .config import Config
from .errors import ConfigError


def make_run_dir(cfg: Config) -> Path:
    """runs/<date>-<name>/, made unique with a counter if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(cfg.out_dir) / f"{stamp}-{cfg.name or 'run'}"
    path, i = base, 1
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    try:
        (path / "samples").mkdir(parents=True)
        (path / "checkpoints").mkdir()
    except OSError as err:
        raise ConfigError(f"config field out_dir: cannot make {path} ({out_dir_problem(Path(cfg.out_dir), err)})") from None
    return path


def out_dir_problem(folder: Path, err: OSError) -> str:
    """Why a folder could not be made, in words: the nearest existing part of its path is a file, read-only, ..."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return err.strerror or type(err).__name__


def remove_unused_run_dir(path: Path) -> None:
    """Removes a run directory this process just made, when the run was refused before writing anything
    (only empty samples/ and checkpoints/ inside): a refused run leaves nothing behind."""
    path = Path(path)
    inside = [p for p in path.rglob("*")] if path.is_dir() else None
    if inside is None or any(p.is_file() for p in inside):
        return
    for folder in sorted(inside, key=lambda p: -len(p.parts)):
        folder.rmdir()
    path.rmdir()


def prepare_run_dir(path: Path, cfg: Config) -> None:
    """Makes the run directory's folders where missing and writes config.yaml, the resolved config (rewritten
    on resume, where train.steps or log.* may have changed)."""
    import yaml

    from .files import write_atomic

    for folder in ("samples", "checkpoints"):
        (Path(path) / folder).mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    write_atomic(Path(path) / "config.yaml", lambda tmp: Path(tmp).write_text(text))
    trust_run_dir(path)


def trusted_runs_file() -> Path:
    """The list of run directories this user's gankit trained: $GANKIT_STATE_DIR, else ~/.local/state/gankit."""
    root = os.environ.get("GANKIT_STATE_DIR") or Path.home() / ".local" / "state" / "gankit"
    return Path(root) / "trusted-runs.txt"


def trust_run_dir(path: Path) -> None:
    """Records a run directory as trained here, so commands may read the data files its checkpoints name
    without --data. Best effort: without a writable state folder they ask for --data instead."""
    entry = str(Path(path).resolve())
    if is_trusted_run(path):
        return
    try:
        trusted_runs_file().parent.mkdir(parents=True, exist_ok=True)
        with open(trusted_runs_file(), "a") as f:
            f.write(entry + "\n")
    except OSError:
        pass


def is_trusted_run(path: Path) -> bool:
    """True for a run directory this user's gankit trained (a checkpoint copied from elsewhere is not)."""
    try:
        return str(Path(path).resolve()) in trusted_runs_file().read_text().splitlines()
    except OSError:
        return False


def require_data_consent(name: str, run_dir: Path | None, named: bool, option: str = "--data") -> None:
    """A dataset read from a path (folder:, npz:, zip:, ...) that the metadata of a checkpoint trained elsewhere
    names is read only when the user names it too (`option`): such a checkpoint must not make gankit read
    arbitrary files. Built-in datasets, runs this user trained, and named data pass."""
    if ":" not in name or named or (run_dir is not None and is_trusted_run(run_dir)):
        return
    how = f"{option}{name}" if option.endswith("=") else f"{option} {name}"
    raise ConfigError(f"this run's data is {name!r}, a path from the metadata of a checkpoint not trained here; "
                      f"gankit reads it only if you name it: {how}")
