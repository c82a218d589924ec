"""A bench job's run directory, one per (task, entry, seed) under the bench's runs/ folder: a new run, or the run
already there continued to the entry's steps (an interrupted bench, or an entry whose steps were raised), and the
training time of all the sessions that made it."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

from ..errors import ConfigError

# What may differ between the run in the folder and the entry that continues it: where and how it runs, how often
# it logs, and how long it trains (the steps are the point).
NOT_COMPARED = ("name", "out_dir", "train.steps", "train.device", "train.threads", "train.compile",
                "train.channels_last", "log.")


def job_run_dir(out: str | Path, task: str, entry: str, seed: int) -> Path:
    return Path(out) / "runs" / f"{task}-{entry}-s{seed}"


def job_trainer(cfg, run_dir: Path, dataset, rerun: bool = False):
    """A Trainer of cfg in run_dir: fresh (with rerun, or where no checkpoint was written, what is there removed),
    or continuing the checkpoints there, which must come from the same config but for what NOT_COMPARED names."""
    from ..api import config_for_resume, open_run, resume_point, trainer_for
    from ..objectives import complete_networks
    from ..training.checkpoint import list_checkpoints

    if run_dir.exists() and (rerun or not list_checkpoints(run_dir)):  # no checkpoint: killed before the first,
        shutil.rmtree(run_dir)  # and its log's rows would precede the new run's
    if not run_dir.exists():
        return trainer_for(cfg, run_dir=run_dir, dataset=dataset)
    point = resume_point(run_dir)
    saved = config_for_resume(point, [f"train.steps={cfg.train.steps}"])
    changed = config_changes(saved.to_dict(), complete_networks(copy.deepcopy(cfg)).to_dict())  # as the run saved it
    if changed:
        raise ConfigError(f"{run_dir}: its run was trained with another {changed[0]} than the entry's; "
                          "--rerun trains the entry again (the old run is removed)")
    return open_run(saved, run_dir, resume=point, data_named=True)


def config_changes(saved: dict, wanted: dict) -> list[str]:
    """The dotted keys whose values differ between two configs' dicts, but for NOT_COMPARED (data.name compared as
    the absolute path a run records)."""
    from ..api import flatten_overrides
    from ..data import absolute_data_name

    a, b = flatten_overrides(saved), flatten_overrides(wanted)
    a["data.name"], b["data.name"] = absolute_data_name(a["data.name"]), absolute_data_name(b["data.name"])
    skipped = lambda key: any(key == k or (k.endswith(".") and key.startswith(k)) for k in NOT_COMPARED)
    return sorted(k for k in a.keys() | b.keys() if not skipped(k) and a.get(k) != b.get(k))


def trained_seconds(rows: list[dict], measured: float) -> float:
    """A run's training time over every session that trained it (the log's session events, a continued run's
    earlier sessions too); measured, this process's clock, for a log without them."""
    sessions = [r["seconds"] for r in rows if r.get("event") == "session"]
    return sum(sessions) if sessions else measured
