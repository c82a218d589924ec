"""train.compile: compiled networks give eager's updates; a phase that differentiates twice (a gradient
penalty) falls back to eager with one line, its first compiled attempt leaving no trace; no C++ compiler is a
one-line error."""
import pytest
import torch

from torch._dynamo.exc import BackendCompilerFailed

from gankit.errors import ConfigError
from gankit.training import compiled
from gankit.training.logging import MetricsLog

from ..conftest import TINY_TOY, tiny
from .test_trainer import full_state, loss_lines, make_trainer

ATOL = 1e-6  # Inductor fuses and reorders float operations: rounding (measured: 3.7e-9 after 3 iterations)


def notes(run_dir):
    return [r["note"] for r in MetricsLog(run_dir / "metrics.jsonl").read() if r.get("event") == "note"]


@pytest.fixture
def inductor_cache(monkeypatch):
    """Inductor's cache, one per torch CPU kernel set: its precompiled header is not keyed by it, and code built
    under ATEN_CPU_CAPABILITY=default beside a cache of vectorized code fails to compile (a PyTorch issue)."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    capability = torch.backends.cpu.get_cpu_capability().replace(" ", "-").lower()
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", f"{default_cache_dir()}-gankit-tests-{capability}")


def test_compiled_step_matches_eager_and_a_gradient_penalty_phase_runs_eager(tmp_path, inductor_cache):
    """ring8 WGAN-GP: G's phase runs compiled; D's (the penalty's double backward) tries, is put back, runs eager.
    One test, because each compile costs seconds."""
    overrides = ("train.steps=3", "log.eval_samples=20")
    eager = make_trainer(tiny(TINY_TOY, tmp_path, *overrides), tmp_path / "eager")
    eager.fit()
    fast = make_trainer(tiny(TINY_TOY, tmp_path, *overrides, "train.compile=true"), tmp_path / "compiled")
    fast.fit()
    a, b = full_state(eager), full_state(fast)
    assert a.keys() == b.keys()  # compiled in place: same names in the checkpoint
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=0, atol=ATOL, msg=key)
    for x, y in zip(loss_lines(tmp_path / "eager"), loss_lines(tmp_path / "compiled"), strict=True):
        assert y == pytest.approx(x, abs=ATOL)
    lines = notes(tmp_path / "compiled")
    assert [line for line in lines if "phase D" in line] == [
        "train.compile: phase D differentiates a network twice (a gradient penalty), which torch.compile does not "
        "support: it runs eager"]
    (g_line,) = [line for line in lines if "phase G" in line]
    assert "(compiling), then" in g_line and "ms a step" in g_line
    assert fast.compiler.eager_phases == {"D"} and fast.compiler.settled == {"D", "G"}
    assert not notes(tmp_path / "eager")


def test_compile_without_a_cpp_compiler_is_a_one_line_error_before_any_run_directory(tmp_path, monkeypatch, capsys):
    from gankit.cli import main

    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"^config field train\.compile: Inductor .* C\+\+ compiler") as err:
        make_trainer(tiny(TINY_TOY, tmp_path, "train.compile=true"), tmp_path / "run")
    assert "\n" not in str(err.value)
    assert main(["train", "ring8-ns", "--set", "train.compile=true", "--set", f"out_dir={tmp_path / 'runs'}"]) == 2
    assert "set train.compile=false" in capsys.readouterr().err and not (tmp_path / "runs").exists()


class Stub(torch.nn.Module):
    """What PhaseCompiler reads of an objective: its networks and its own state."""

    def __init__(self):
        super().__init__()
        self.nets = torch.nn.ModuleDict({"D": torch.nn.BatchNorm1d(3)})
        self.state = torch.zeros(2)

    def extra_state(self):
        return {"state": self.state}

    def load_extra_state(self, tensors):
        self.state = tensors["state"].clone()


def test_a_compiler_error_puts_the_trial_back_and_the_phase_runs_eager():
    stub, lines = Stub(), []
    compiler = compiled.PhaseCompiler(True, stub, torch.device("cpu"), lines.append)
    draws = []

    def compute():
        draws.append(torch.rand(3))
        stub.nets["D"](torch.randn(4, 3))  # moves the running statistics
        stub.state += 1
        if len(draws) == 1:
            raise BackendCompilerFailed(compute, RuntimeError("C++ compile error\n\nCommand: g++ ..."), None)
        return {"total": torch.zeros(())}

    torch.manual_seed(0)
    compiler.run("D", compute)
    torch.manual_seed(0)
    reference = torch.rand(3)
    assert torch.equal(draws[0], draws[1]) and torch.equal(draws[1], reference)  # the random stream put back
    assert stub.nets["D"].num_batches_tracked == 1 and torch.equal(stub.state, torch.ones(2))  # one step's worth
    assert lines == ["train.compile: phase D could not be compiled here (RuntimeError: C++ compile error): it runs eager"]
    compiler.run("D", compute)
    assert len(lines) == 1 and compiler.eager_phases == {"D"}
