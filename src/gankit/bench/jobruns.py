"""A bench job's run directory under the bench's runs/ folder (TASK-ENTRY-sSEED, then -r1, -r2, ... for each
--rerun, so a record keeps pointing at the run it scored): a new run, or the newest one continued to the entry's
steps (an interrupted bench, or an entry whose steps were raised), and the training time behind its record."""
from __future__ import annotations

import copy
from pathlib import Path

from ..errors import ConfigError

# What may differ between the run in the folder and the entry that continues it, the entry's value taken: its name
# and folder, and what `gankit train --resume` may change (api.resume_may_change: the steps, logging, device).
NOT_COMPARED = ("name", "out_dir")


def numbered_folders(out: str | Path, task: str, entry: str, seed: int) -> tuple[Path, dict[int, Path]]:
    """(the job's first folder TASK-ENTRY-sSEED, {0: it, N: its -rN} for those there are)."""
    base = Path(out) / "runs" / f"{task}-{entry}-s{seed}"
    found = {0: base} if base.is_dir() else {}
    for folder in base.parent.glob(f"{base.name}-r*"):
        number = folder.name[len(base.name) + 2:]
        if number.isdigit():
            found[int(number)] = folder
    return base, found


def job_folders(out: str | Path, task: str, entry: str, seed: int) -> list[Path]:
    """The job's run directories there are, oldest first."""
    found = numbered_folders(out, task, entry, seed)[1]
    return [found[n] for n in sorted(found)]


def job_run_dir(out: str | Path, task: str, entry: str, seed: int, rerun: bool = False) -> Path:
    """Where the job trains: its newest folder, or with rerun a new one (the others stay as their records say)."""
    base, found = numbered_folders(out, task, entry, seed)
    if not found:
        return base
    return base.with_name(f"{base.name}-r{max(found) + 1}") if rerun else found[max(found)]


def job_trainer(cfg, run_dir: Path, dataset):
    """A Trainer of cfg in run_dir: fresh where no checkpoint is (a killed attempt's files removed first), or
    continuing the newest checkpoint there, which must come from the same config but for NOT_COMPARED and be at
    most the entry's steps."""
    from ..api import config_for_resume, open_run, remove_run_dir, resume_point, saved_checkpoints, trainer_for
    from ..objectives import complete_networks
    from ..sizing import fit_data_to_networks

    if run_dir.exists() and not saved_checkpoints(run_dir):
        remove_run_dir(run_dir)  # its log's rows would precede the new run's (refused while another process trains)
    if not run_dir.exists():
        return trainer_for(cfg, run_dir=run_dir, dataset=dataset)
    point = resume_point(run_dir)
    if point.meta["step"] > cfg.train.steps:
        raise ConfigError(f"{run_dir}: its run is at step {point.meta['step']}, past the entry's {cfg.train.steps} "
                          "steps; --rerun (with --entries) trains the entry again in a new folder")
    wanted = complete_networks(copy.deepcopy(cfg))  # as a fresh run would save it
    fit_data_to_networks(wanted, dataset)
    changed = config_changes(config_for_resume(point, []).to_dict(), wanted.to_dict())
    if changed:
        raise ConfigError(f"{run_dir}: its run was trained with another {changed[0]} than the entry's; --rerun "
                          "(with --entries) trains the entry again in a new folder")
    return open_run(wanted, run_dir, resume=point, data_named=True)


def config_changes(saved: dict, wanted: dict) -> list[str]:
    """The dotted keys whose values differ between two configs' dicts, but for NOT_COMPARED and what a resume may
    change (data.name compared as the absolute path a run records)."""
    from ..api import flatten_overrides, resume_may_change
    from ..data import absolute_data_name

    a, b = flatten_overrides(saved), flatten_overrides(wanted)
    a["data.name"], b["data.name"] = absolute_data_name(a["data.name"]), absolute_data_name(b["data.name"])
    return sorted(k for k in a.keys() | b.keys()
                  if k not in NOT_COMPARED and not resume_may_change(k) and a.get(k) != b.get(k))


def trained_seconds(checkpoint: Path, rows: list[dict], measured: float) -> float:
    """A run's training time to its final checkpoint over every session that trained it, as the checkpoint counts
    it; for a run begun before checkpoints counted it, the sum of its log's session events, else `measured`."""
    from ..api import read_checkpoint

    counted = read_checkpoint(checkpoint)[1].get("train_seconds")
    if counted is not None:
        return counted
    sessions = [r["seconds"] for r in rows if r.get("event") == "session"]
    return sum(sessions) if sessions else measured
