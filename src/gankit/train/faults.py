"""What the trainer does when something goes wrong: side work (eval, samples, plots) that fails is reported
and logged while training goes on; a divergence stops the run or rolls it back to the last good state."""
from __future__ import annotations

from typing import Callable

from tqdm import tqdm

from ..errors import TrainingDiverged
from .divergence import Diverged
from .logging import MetricsLog

ON_DIVERGENCE = ("stop", "rollback")


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


def stop_message(err: Diverged, policy: str, kept: str) -> str:
    return (f"training diverged: {err}; stopped ({policy}), {kept}. Set train.on_divergence=rollback to "
            "restart from the last good checkpoint with lower learning rates, or train.divergence_factor=0 to "
            "turn the check off")


def scale_learning_rates(optimizers: dict, factor: float) -> dict[str, float]:
    """Multiplies every learning rate by factor; returns the new ones (first group of each optimizer)."""
    for opt in optimizers.values():
        for group in opt.param_groups:
            group["lr"] *= factor
    return {name: opt.param_groups[0]["lr"] for name, opt in optimizers.items()}


def give_up(err: Diverged, rollbacks: int, limit: int) -> TrainingDiverged:
    return TrainingDiverged(f"training diverged again: {err}; stopped after {rollbacks} rollback(s) "
                            f"(train.max_rollbacks={limit})")
