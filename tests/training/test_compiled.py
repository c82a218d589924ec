"""train.compile: compiled networks give eager's updates; a phase that differentiates twice (a gradient
penalty) falls back to eager with one line, its first compiled attempt leaving no trace; no C++ compiler is a
one-line error."""
import pytest
import torch

from gankit.errors import ConfigError
from gankit.training import compiled
from gankit.training.logging import MetricsLog

from ..conftest import TINY_TOY, tiny
from .test_trainer import full_state, loss_lines, make_trainer

ATOL = 1e-6  # Inductor fuses and reorders float operations: rounding (measured: 3.7e-9 after 3 iterations)


def notes(run_dir):
    return [r["note"] for r in MetricsLog(run_dir / "metrics.jsonl").read() if r.get("event") == "note"]


def test_compiled_step_matches_eager_and_a_gradient_penalty_phase_runs_eager(tmp_path):
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


def test_compile_without_a_cpp_compiler_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"^config field train\.compile: Inductor .* C\+\+ compiler") as err:
        make_trainer(tiny(TINY_TOY, tmp_path, "train.compile=true"), tmp_path / "run")
    assert "\n" not in str(err.value)
