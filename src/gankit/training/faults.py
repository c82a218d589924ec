"""What the trainer does when something goes wrong: side work (eval, samples, plots) that fails is reported
and logged while training goes on; a divergence stops the run or rolls it back to the last good state."""
from __future__ import annotations

import copy
from typing import Callable

from tqdm import tqdm

from ..errors import TrainingDiverged
from . import distributed
from .checkpoint import list_checkpoints, newest_loadable
from .divergence import Diverged, NonFinite
from .logging import MetricsLog


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def attempt(what: str, step: int, log: MetricsLog, work: Callable[[], object]) -> object | None:
    """work(), or None when it raises: then one line on the terminal and an event in metrics.jsonl. The
    checkpoint of this step is written before, so a failing evaluation never costs training state; the run
    goes on, since the weights are sound and the next evaluation may well work."""
    try:
        return work()
    except Exception as err:  # noqa: BLE001 - any failure of side work; training state is already saved
        tqdm.write(f"gankit: warning: {what} failed at step {step} ({one_line(err)}); training goes on")
        log.write({"step": step, "event": f"{what} failed", "error": one_line(err)})
        return None


def snapshot(trainer) -> tuple[dict, dict]:
    """A copy of the trainer's full state, to roll back to before any checkpoint exists."""
    tensors, meta = trainer.state()  # the live tensors: copy them
    return {k: v.detach().clone() for k, v in tensors.items()}, copy.deepcopy(meta)


def handle_divergence(trainer, err: Diverged) -> None:
    """train.on_divergence: stop raises a TrainingDiverged naming quantity and step (exit 2); rollback
    restores the newest checkpoint that loads (the initial state before the first one), multiplies every
    learning rate by rollback_lr_factor, and records the event; past max_rollbacks it stops."""
    train = trainer.cfg.train
    kept = list_checkpoints(trainer.run_dir)
    if train.on_divergence != "rollback":
        where = f"the last good checkpoint is {kept[-1]}" if kept else "no checkpoint was written yet"
        # a NaN / inf loss is always fatal to the step, so only the explosion check can be turned off
        off = "lower the learning rates" if isinstance(err, NonFinite) else \
            "train.divergence_factor=0 to turn the check off"
        raise TrainingDiverged(f"training diverged: {err}; stopped (train.on_divergence={train.on_divergence}), "
                               f"{where}. Set train.on_divergence=rollback to restart from the last good checkpoint "
                               f"with lower learning rates, or {off}") from None
    if trainer.rollbacks >= train.max_rollbacks:
        raise TrainingDiverged(f"training diverged again: {err}; stopped after {trainer.rollbacks} rollback(s) "
                               f"(train.max_rollbacks={train.max_rollbacks})") from None
    rollbacks = trainer.rollbacks
    # lowered from the scales in use, not the restored ones: repeated rollbacks to one checkpoint compound
    lowered = {name: update.lr_scale * train.rollback_lr_factor for name, update in trainer.exp.updates.items()}
    if kept:
        path, tensors, meta, _ = newest_loadable(trainer.run_dir)
        source = path.name
    else:
        source, (tensors, meta) = "the initial state", trainer.initial_state
    trainer.load_state(tensors, meta, source)
    trainer.rollbacks = rollbacks + 1
    for name, update in trainer.exp.updates.items():
        update.lr_scale = 1.0
        update.scale_lr(lowered[name])
    lrs = {name: update.optimizer.param_groups[0]["lr"] for name, update in trainer.exp.updates.items()}
    if not distributed.is_main():  # every process rolls back; process 0 alone writes about it
        return
    trainer.log.rewind(trainer.step)
    process = {} if err.process is None else {"process": err.process}  # under torchrun: where it happened
    trainer.log.write({"step": trainer.step, "event": "divergence rollback", "quantity": err.quantity, **process,
                       "diverged_at": err.step, "value": err.value, "level": err.level, "restored": source,
                       "lr": lrs})
    tqdm.write(f"gankit: {err}; rolled back to step {trainer.step} ({source}), learning rates now "
               + ", ".join(f"{k} {v:.3g}" for k, v in lrs.items()))
