"""Mixed precision (train.precision): fp32, or bf16 / fp16 by autocast, with a GradScaler for fp16.

Losses are computed under autocast and differentiated outside it, as PyTorch's AMP recipe says. Gradient
penalties differentiate the critic twice; bf16 keeps fp32's exponent range, so their inner gradient stays
under autocast, while under fp16 a penalty's inner gradient would underflow unscaled, so penalties leave
autocast there (`penalty_precision`) and run in fp32. `auto` picks bf16 where the device computes it natively
(a CPU with AVX512_BF16 or AMX, a CUDA device that supports it) and fp32 elsewhere; fp32 stays the default,
because bf16 keeps about 3 significant digits and so changes every result a little.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import torch

from ..errors import CheckpointError, ConfigError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 (/proc/cpuinfo flags) ...
ARM_BF16_FEATURE = "bf16"                      # ... and ARM (its Features line)


def check_precision(name: str) -> None:
    if name not in (*PRECISIONS, "auto"):
        raise ConfigError(f"config field train.precision: {name!r}; choose from {', '.join(PRECISIONS)}, auto")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags as Linux lists them (empty where there is no /proc/cpuinfo)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.split(":")[0].strip() in ("flags", "Features")), "")
    return set(line.partition(":")[2].split())


def native_bf16(device: torch.device, flags: set[str] | None = None) -> bool:
    """Whether the device computes bf16 natively: a CUDA device that says so; a CPU with bf16 instructions
    whose vectorized kernels torch uses (ATEN_CPU_CAPABILITY=default turns them off: bf16 is then emulated)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu" or torch.backends.cpu.get_cpu_capability() == "DEFAULT":
        return False
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in CPU_BF16_FLAGS) or ARM_BF16_FEATURE in flags


def resolve_precision(name: str, device: torch.device) -> str:
    """The precision a run uses: `name`, or for auto bf16 where the device has native bf16, else fp32."""
    check_precision(name)
    if name != "auto":
        return name
    return "bf16" if native_bf16(device) else "fp32"


class Precision:
    """autocast() around a loss, backward(loss), step(optimizer) then update() once per phase."""

    def __init__(self, name: str, device: torch.device):
        self.requested = name  # what the config asked for (auto, perhaps); name is what runs
        self.device, self.kept = torch.device(device), False  # kept: auto's choice taken from a checkpoint
        name = resolve_precision(name, device)
        self.name, self.dtype, self.device_type = name, PRECISIONS[name], self.device.type
        self.scaler = torch.amp.GradScaler(self.device_type) if name == "fp16" else None

    def notes(self) -> list[str]:
        """What train.precision auto chose and why, for the run's log (nothing for a precision named outright)."""
        if self.requested != "auto":
            return []
        if self.kept:
            return [f"train.precision auto: {self.name}, as the checkpoint was trained (this {self.device_type} "
                    f"device alone would choose {resolve_precision('auto', self.device)})"]
        why = "has" if self.name == "bf16" else "has no"
        return [f"train.precision auto: {self.name} (the {self.device_type} device {why} native bf16)"]

    def resumed(self, trained: str | None) -> "Precision":
        """The precision a resumed run goes on in: under auto, the one its checkpoint was trained in (a run
        started where bf16 is native and resumed where it is not goes on in bf16, emulated and slower, rather
        than switching its numerics mid-run); a precision named outright, or a checkpoint that does not say
        (written before this was recorded), keeps this one."""
        if self.requested != "auto" or trained in (None, self.name):
            return self
        if trained not in PRECISIONS:
            raise CheckpointError(f"the checkpoint says it was trained in precision {trained!r}; gankit knows "
                                  f"{', '.join(PRECISIONS)}")
        kept = Precision(trained, self.device)
        kept.requested, kept.kept = "auto", True
        return kept

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, inputs: list[torch.Tensor]) -> None:
        """Gradients of loss for `inputs` only: autograd prunes every other branch (a penalty's input points)."""
        (self.scaler.scale(loss) if self.scaler else loss).backward(inputs=inputs)

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Divides the optimizer's gradients by the loss scale (fp16), so that what runs between backward
        and step (gradient clipping, transforms) sees true gradients; step() then does not unscale again."""
        if self.scaler:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Steps the optimizer (fp16: on unscaled gradients, skipped when they hold inf or NaN)."""
        if self.scaler:
            self.scaler.step(optimizer)
        else:
            optimizer.step()

    def update(self) -> None:
        if self.scaler:
            self.scaler.update()

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The loss scale and its growth counter, for exact resume (nothing outside fp16)."""
        if not self.scaler or self.scaler._scale is None:
            return {}
        return {"precision.scale": self.scaler._scale.detach().cpu().clone(),
                "precision.growth_tracker": self.scaler._growth_tracker.detach().cpu().clone()}

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        if self.scaler and "precision.scale" in tensors:
            self.scaler.load_state_dict({"scale": float(tensors["precision.scale"]), "growth_factor": 2.0,
                                         "backoff_factor": 0.5, "growth_interval": 2000,
                                         "_growth_tracker": int(tensors["precision.growth_tracker"])})
