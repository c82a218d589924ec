"""The trainer's checkpoint state: everything exact resume needs (weights, optimizers, EMA, RNG, data
position, divergence levels, the open loss window, step), saved and restored. A mixin of the Trainer."""
from __future__ import annotations

import time
from pathlib import Path

import torch

from . import distributed
from .checkpoint import ResumePoint, checkpoint_path, prune_checkpoints, remove_leftovers, save_checkpoint
from .faults import attempt
from .optim import stretched_schedule


class CheckpointState:
    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Everything exact resume needs: the experiment's state, RNG, data position, divergence levels, step."""
        tensors, meta = self.exp.state()
        tensors["rng.cpu"] = torch.get_rng_state()
        if self.exp.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.exp.device)
        tensors.update({f"data.{k}": v for k, v in self.batches.state_dict().items()})
        tensors.update(self.precision.state_dict())
        tensors.update({f"divergence.{k}": v for k, v in self.watch.state_dict().items()})
        meter = self.loss_meter  # the open loss window
        tensors.update({f"loss_sums.{k}": torch.as_tensor(v).clone() for k, v in meter.sums.items()})  # copies: the
        # meter adds to its sums in place
        seconds = self.trained_seconds()
        return tensors, {**meta, "step": self.step, "phase_steps": dict(self.phase_steps), "rollbacks": self.rollbacks,
                         "loss_counts": dict(meter.counts), "world_size": distributed.world_size(),
                         "precision": self.precision.name, **({"train_seconds": seconds} if seconds is not None else {})}

    def trained_seconds(self) -> float | None:
        """Wall seconds of training to now over every session of the run (the earlier ones from the checkpoint
        resumed from; a killed session's time up to its last checkpoint is in it); None for a run resumed from a
        checkpoint written before gankit counted them."""
        return None if self.seconds_before is None else self.seconds_before + self.session_seconds()

    def session_seconds(self) -> float:
        """Wall seconds since this fit() began, if it has trained a step (0 otherwise)."""
        if self.session_start is None or self.session_start[0] == self.step:
            return 0.0
        return time.perf_counter() - self.session_start[1]

    def save(self) -> Path:
        """A checkpoint of everything exact resume needs; written by rank 0 alone."""
        path = checkpoint_path(self.run_dir, self.step)
        if not distributed.is_main():
            return path
        attempt("sampling", self.step, self.log, self.painter.wait)  # earlier pictures on disk before the checkpoint:
        # a resume after a kill redraws only the checkpoint step's own picture
        tensors, meta = self.state()
        save_checkpoint(path, tensors, meta)
        prune_checkpoints(self.run_dir, self.cfg.log.keep_checkpoints)
        return path

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, path: Path | str) -> None:
        distributed.check_world_size(int(meta.get("world_size", 1)), Path(path))
        self.exp.load_state(tensors, meta, path)
        self.precision = self.precision.resumed(meta.get("precision"))
        self.precision.load_state_dict(tensors)
        torch.set_rng_state(tensors["rng.cpu"])
        if "rng.cuda" in tensors and self.exp.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.exp.device)
        self.batches.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("data.")})
        self.watch.load_state_dict({k[11:]: v for k, v in tensors.items() if k.startswith("divergence.")})
        self.step = int(meta["step"])
        self.phase_steps.update(meta.get("phase_steps", {}))
        self.rollbacks = int(meta.get("rollbacks", 0))
        saved = meta.get("config", {}).get("train", {}).get("steps", self.cfg.train.steps)
        self.saved_train_steps = int(saved)  # a resume may have raised it since
        counts = {k: int(v) for k, v in meta.get("loss_counts", {}).items()}
        # copies: the meter adds in place, and a rollback may load the same tensors again
        self.loss_meter.sums = {k: tensors[f"loss_sums.{k}"].clone() for k in counts if f"loss_sums.{k}" in tensors}
        self.loss_meter.counts = {k: v for k, v in counts.items() if k in self.loss_meter.sums}
        if distributed.is_main():
            self.log.truncate_after(self.step)

    def stretched_schedules(self) -> list[str]:
        """Notes on the lr schedules that span train.steps, where this resume changed it (one per network)."""
        notes = []
        for name, update in self.exp.updates.items():
            before = update.total_steps * self.saved_train_steps // self.cfg.train.steps  # same steps per iteration
            note = stretched_schedule(name, update.cfg, update.num_steps, before, update.total_steps, update.lr_scale)
            notes += [note] if note else []
        return notes

    def resume(self, point: ResumePoint | None = None) -> Path:
        """Restores weights, optimizers, EMA, RNG, data position and step from the run's newest checkpoint
        that loads (`point`, when the caller read it already); self.skipped says why newer ones did not."""
        if distributed.is_main():
            self.lock.acquire()
            remove_leftovers(self.run_dir)  # even when the load below fails: a kill's temporaries go first
        if point is None or point.stale():  # another process wrote a checkpoint before the lock was ours
            point = ResumePoint.read(self.run_dir)
        self.skipped = point.skipped
        self.load_state(point.tensors, point.meta, point.path)
        self.seconds_before = point.meta.get("train_seconds")  # not in load_state: a rollback's time was spent
        self.resumed_from = point.path
        return point.path
