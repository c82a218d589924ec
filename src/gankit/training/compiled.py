"""train.compile: the networks compiled with torch.compile (TorchDynamo + Inductor), each in place, so their
parameters, state_dict keys, optimizers and EMA copies are the ones eager training has.

What is compiled is every network's forward (and with it, by AOTAutograd, its backward). A phase's loss
function stays eager: random draws inside compiled code come from Inductor's own generator, not torch's
stream, which would break both the same-numbers-as-eager promise and exact resume. A phase whose backward
differentiates a compiled network twice (a gradient penalty: the gradient of a gradient) fails under
AOTAutograd; the first run of each phase is therefore a trial: on that failure (or on a compiler error) its
random state, buffers and objective state are put back and the phase runs eager from then on, said once in
the run's log."""
from __future__ import annotations

import shutil
import time
from contextlib import nullcontext
from typing import Callable

import torch
from torch import nn
from torch._dynamo.exc import BackendCompilerFailed

from ..errors import ConfigError

# in AOTAutograd's errors for a compiled graph differentiated twice: at the double backward itself, or earlier, at
# a torch.autograd.grad(create_graph=True) through a backward compiled with donated buffers
DOUBLE_BACKWARD = ("double backward", "create_graph=False")


def check_compile_available(device: torch.device) -> None:
    """A one-line ConfigError when torch.compile cannot run here: no TorchDynamo for this Python, or no C++
    compiler for Inductor's CPU code."""
    if not torch._dynamo.is_dynamo_supported():
        raise ConfigError("config field train.compile: torch.compile does not support this Python version; "
                          "set train.compile=false")
    from torch._inductor import config as inductor_config

    compiler = inductor_config.cpp.cxx[-1]  # $CXX, else g++ (clang++ on macOS), as Inductor searches
    if device.type == "cpu" and shutil.which(compiler) is None:
        raise ConfigError(f"config field train.compile: Inductor compiles CPU code with a C++ compiler and "
                          f"{compiler!r} is not on this machine (install g++ or set CXX); set train.compile=false")


def first_line(err: BaseException) -> str:
    """The exception's type and its message's first line (a compiler error's message holds its whole output)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


class PhaseCompiler:
    """Compiles the networks once and runs each phase's forward and backward through `run`: compiled, or
    eager for a phase that differentiates twice. `notes` receives one line per phase: the first step's time
    (compiling) apart from the second's (compiled), or why it runs eager."""

    def __init__(self, enabled: bool, objective: nn.Module, device: torch.device, note: Callable[[str], None]):
        self.enabled, self.objective, self.device, self.note = enabled, objective, torch.device(device), note
        self.eager_phases: set[str] = set()       # phases that run eager
        self.first_seconds: dict[str, float] = {}  # phases run once (compiling) -> that run's seconds
        self.settled: set[str] = set()            # phases whose timing note was written
        if enabled:  # build_experiment checked that it can run here
            for net in objective.nets.values():
                net.compile()

    def eager(self):
        """A context in which the networks run eager: sampling and evaluation, whose batch sizes and eval mode
        would each compile anew, for calls that happen a few times a run."""
        return torch.compiler.set_stance("force_eager") if self.enabled else nullcontext()

    def run(self, phase_name: str, compute: Callable[[], dict]) -> dict:
        """compute() (a phase's zero_grad, losses and backward): compiled, or eager for this phase."""
        if not self.enabled or phase_name in self.settled:
            with torch.compiler.set_stance("force_eager") if phase_name in self.eager_phases else nullcontext():
                return compute()
        if phase_name in self.first_seconds:  # the second run: compiled code, no compiling
            start = time.perf_counter()
            out = compute()
            self.note(f"train.compile: phase {phase_name}: first step {self.first_seconds[phase_name]:.1f} s "
                      f"(compiling), then {1000 * (time.perf_counter() - start):.1f} ms a step")
            self.settled.add(phase_name)
            return out
        return self.trial(phase_name, compute)

    def trial(self, phase_name: str, compute: Callable[[], dict]) -> dict:
        """The phase's first run, compiled. Where that fails (a double backward; a compiler error, e.g. a C++
        toolchain Inductor cannot use) the state it moved is put back and the phase runs eager from now on."""
        saved = self.snapshot()
        start = time.perf_counter()
        try:
            out = compute()
        except BackendCompilerFailed as err:
            why = f"could not be compiled here ({first_line(err.inner_exception)})"
        except RuntimeError as err:
            if not any(words in str(err) for words in DOUBLE_BACKWARD):
                raise
            why = "differentiates a network twice (a gradient penalty), which torch.compile does not support"
        else:
            self.first_seconds[phase_name] = time.perf_counter() - start
            return out
        self.restore(saved)
        self.eager_phases.add(phase_name)
        self.settled.add(phase_name)
        self.note(f"train.compile: phase {phase_name} {why}: it runs eager")
        with torch.compiler.set_stance("force_eager"):
            return compute()

    def snapshot(self) -> tuple:
        """What a failed trial may have moved: the random streams, the networks' buffers (BatchNorm
        statistics, spectral norm's vectors) and the objective's own state."""
        cuda = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        buffers = [b.detach().clone() for b in self.objective.nets.buffers()]
        extra = {k: v.detach().clone() for k, v in self.objective.extra_state().items()}
        return torch.get_rng_state(), cuda, buffers, extra

    @torch.no_grad()
    def restore(self, saved: tuple) -> None:
        rng, cuda, buffers, extra = saved
        torch.set_rng_state(rng)
        if cuda is not None:
            torch.cuda.set_rng_state(cuda, self.device)
        for b, value in zip(self.objective.nets.buffers(), buffers):
            b.copy_(value)
        if extra:
            self.objective.load_extra_state(extra)
