"""Run directories: runs/<date>-<name>/ with samples/ and checkpoints/, the layout every command reads."""
from __future__ import annotations

import time
from pathlib import Path

from .config import Config


def make_run_dir(cfg: Config) -> Path:
    """runs/<date>-<name>/, made unique with a counter if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(cfg.out_dir) / f"{stamp}-{cfg.name or 'run'}"
    path, i = base, 1
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    (path / "samples").mkdir(parents=True)
    (path / "checkpoints").mkdir()
    return path


def prepare_run_dir(path: Path, cfg: Config) -> None:
    """Makes the run directory's folders where missing and writes config.yaml, the resolved config (rewritten
    on resume, where train.steps or log.* may have changed)."""
    import yaml

    from .train.checkpoint import write_atomic

    for folder in ("samples", "checkpoints"):
        (Path(path) / folder).mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    write_atomic(Path(path) / "config.yaml", lambda tmp: Path(tmp).write_text(text))
