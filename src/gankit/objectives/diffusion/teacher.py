"""The teacher of a distillation: a trained `edm` run's denoiser, read-only, loaded from the run directory (or
checkpoint file) that the config names; anything else is a one-line ConfigError naming the option."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ...data import DataSpec
from ...errors import CheckpointError, ConfigError

OPTION = "objective.options.teacher"


@dataclass
class Teacher:
    F: nn.Module | None        # the teacher's raw network (its EMA copy where it has one); None on the meta device
    sigma_data: float
    checkpoint: Path           # the file it was read from (a run directory's newest checkpoint)
    step: int
    network: dict              # the teacher's model.F config (name, options), which the student's networks must copy


def read_teacher(path: str, spec: DataSpec, build: bool) -> Teacher:
    """The edm teacher at `path`; with build False only its checkpoint's description is checked (networks built on the
    meta device, where no weights can be copied). The global RNG is left as it was."""
    from ...api import load, read_checkpoint  # runs are read through the API: objectives never reach into training

    if not path:
        raise ConfigError(f"{OPTION}: name the edm run directory (or checkpoint) to distil")
    try:
        tensors, meta = read_checkpoint(path)
    except CheckpointError as err:
        raise ConfigError(f"{OPTION}: {err}") from None
    objective = meta.get("config", {}).get("objective", {}).get("name")
    if objective != "edm":
        raise ConfigError(f"{OPTION}: {path} is a run of objective {objective!r}; sid distils an edm run")
    if list(meta.get("spec", {}).get("shape", [])) != list(spec.shape):
        raise ConfigError(f"{OPTION}: the teacher was trained on items of shape {meta['spec'].get('shape')}, "
                          f"this run's data has {list(spec.shape)}")
    network = meta["config"]["model"]["F"]
    sigma_data = float(tensors["objective.sigma_data"])
    if not build:
        return Teacher(None, sigma_data, Path(path), int(meta["step"]), network)
    with torch.random.fork_rng():  # building the teacher seeds torch; this run's RNG stays its own
        run = load(path, device="cpu")
    F = run.experiment.network("F", use_ema=True).requires_grad_(False).eval()
    return Teacher(F, run.experiment.objective.sigma_data, Path(run.summary["checkpoint"]), int(meta["step"]), network)


def copy_teacher(student: nn.Module, teacher: Teacher, name: str) -> None:
    """The teacher's weights into the student network `name`, which the config must build alike."""
    own, given = student.state_dict(), teacher.F.state_dict()
    if own.keys() != given.keys() or any(own[k].shape != given[k].shape for k in own):
        raise ConfigError(f"model.{name}: sid starts {name} from the teacher's weights, so it must be the teacher's "
                          f"network: set model.{name} to {teacher.network}")
    student.load_state_dict(given)
