"""What the roofline measures: the FLOPs a piece of work does (counted by torch.utils.flop_counter: matrix
products and convolutions, forward and every backward, a penalty's double backward included; elementwise work
is not counted) with the precision it ran them in, and the machine's matmul peak in GFLOP/s."""
from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

PEAK_SIZE = 2048  # large enough that the matmul runs at the kernel's steady rate
DTYPE_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16", torch.float64: "fp64"}


class FlopCount(TorchDispatchMode):
    """Adds up torch.utils.flop_counter's per-operation FLOP formulas over every operation dispatched inside
    it, and records the dtype of each counted operation's first tensor operand. FlopCounterMode itself tracks
    modules with autograd hooks that make torch.autograd.grad fail (torch 2.13: 'A leaf node was passed to
    _will_engine_execute_node'), so a gradient penalty could not be counted with it."""

    def __init__(self):
        super().__init__()
        self.flops, self.dtypes = 0, set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        formula = flop_registry.get(func._overloadpacket)
        if formula is None and func is not torch.ops.prim.device.default:
            with self:  # a composite operation: count the operations it is made of, as FlopCounterMode does
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        out = func(*args, **kwargs)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
            first = next((a for a in args if isinstance(a, torch.Tensor)), None)
            if first is not None:
                self.dtypes.add(first.dtype)
        return out


@dataclass
class Count:
    flops: int
    precision: str  # the counted operations' dtypes: 'fp32', 'bf16', 'bf16+fp32', ...


def precision_label(dtypes: set) -> str:
    names = sorted(DTYPE_NAMES.get(d, str(d).removeprefix("torch.")) for d in dtypes)
    return "+".join(names) if names else "none"


def count_flops(work: Callable[[], object]) -> Count:
    """Runs work() once and counts the FLOPs of its matrix products and convolutions (2 per multiply-add)."""
    with FlopCount() as counter:
        work()
    return Count(counter.flops, precision_label(counter.dtypes))


def flops_per_iteration(trainer) -> Count:
    """The FLOPs of one real training iteration of `trainer` (it advances the trainer by one iteration):
    every phase the schedule runs, forward and backward, penalties' double backward included."""
    return count_flops(trainer.train_iteration)


def median_seconds(work: Callable[[], object], repeats: int, timer: Callable[[], float] = time.perf_counter) -> float:
    """Median seconds of one call of work over `repeats` timed calls, after one untimed warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        start = timer()
        work()
        times.append(timer() - start)
    return statistics.median(times)


def matmul_gflops(dtype: torch.dtype, size: int = PEAK_SIZE, repeats: int = 5,
                  timer: Callable[[], float] = time.perf_counter) -> float:
    """GFLOP/s of a size x size matmul in `dtype` at the current thread count (2 size^3 FLOPs a product)."""
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(size, size, generator=generator).to(dtype) for _ in range(2))
    return 2 * size**3 / median_seconds(lambda: torch.mm(a, b), repeats, timer) / 1e9


@dataclass
class Peak:
    fp32: float  # GFLOP/s
    bf16: float
    threads: int
    cpu: str

    def line(self) -> str:
        return (f"peak (matmul {PEAK_SIZE}x{PEAK_SIZE}, median): fp32 {self.fp32:.1f} GFLOP/s, bf16 {self.bf16:.1f} "
                f"GFLOP/s; {self.threads} thread{'s' * (self.threads != 1)}; {self.cpu}")


def measure_peak(repeats: int = 5, size: int = PEAK_SIZE, timer: Callable[[], float] = time.perf_counter) -> Peak:
    """The machine's matmul rate in fp32 and bf16 at the thread count the bench runs with."""
    return Peak(matmul_gflops(torch.float32, size, repeats, timer), matmul_gflops(torch.bfloat16, size, repeats, timer),
                torch.get_num_threads(), cpu_model())


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
