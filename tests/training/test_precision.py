"""train.precision: bf16 / fp16 autocast trains with finite losses; gradient penalties stay close to fp32."""
import math

import pytest
import torch
from torch import nn

from gankit.errors import ConfigError
from gankit.objectives.penalties import gradient_penalty, input_gradient_norm
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.logging import MetricsLog

from ..conftest import TINY_DIGITS, TINY_TOY, tiny
from .test_trainer import assert_bit_identical, full_state, make_trainer


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("base", [TINY_TOY, TINY_DIGITS], ids=["ring8-mlp-wgan-gp", "digits-dcgan-bn-ns"])
def test_mixed_precision_trains_with_finite_losses(tmp_path, base, precision):
    cfg = tiny(base, tmp_path, f"train.precision={precision}")
    trainer = make_trainer(cfg, tmp_path / "run")
    before = {k: v.clone() for k, v in trainer.exp.objective.nets.state_dict().items()}
    trainer.fit()
    records = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    assert len(records) == cfg.train.steps
    assert all(math.isfinite(v) for r in records for k, v in r.items() if k != "step")
    after = trainer.exp.objective.nets.state_dict()
    assert all(after[k].dtype == v.dtype for k, v in before.items())  # weights stay fp32
    assert any(not torch.equal(after[k], v) for k, v in before.items() if v.is_floating_point())


def critic():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))


def penalty_and_grads(D, x_real, x_fake, dtype):
    D.zero_grad()
    with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
        penalty = gradient_penalty(D, x_real, x_fake).mean()
    penalty.backward()  # the double backward, outside autocast
    return penalty.detach(), [p.grad.clone() for p in D.parameters() if p.grad is not None]  # not the last bias


def test_gradient_penalty_under_bf16_is_close_to_fp32():
    D = critic()
    x_real, x_fake = torch.randn(64, 8), torch.randn(64, 8) + 1
    torch.manual_seed(1)
    ref, ref_grads = penalty_and_grads(D, x_real, x_fake, None)
    torch.manual_seed(1)  # the same interpolation points
    low, low_grads = penalty_and_grads(D, x_real, x_fake, torch.bfloat16)
    assert ref > 0.01  # not a trivially zero penalty
    torch.testing.assert_close(low, ref, rtol=5e-2, atol=1e-3)  # bf16 keeps about 3 significant digits
    for g, r in zip(low_grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-1, atol=2e-2 * float(r.abs().max()))


def test_penalty_leaves_fp16_autocast_for_fp32():
    D = critic()
    x = torch.randn(16, 8)
    with torch.autocast("cpu", dtype=torch.float16):
        assert D(x).dtype == torch.float16
        norms = input_gradient_norm(D, x.half())
    assert norms.dtype == torch.float32
    torch.testing.assert_close(norms, input_gradient_norm(D, x))


def test_fp16_resume_restores_the_loss_scale(tmp_path):
    straight = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=fp16"), tmp_path / "straight")
    straight.fit()
    tensors, _ = load_checkpoint(list_checkpoints(tmp_path / "straight")[-1])
    assert float(tensors["precision.scale"]) > 0
    make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=fp16", "train.steps=3"), tmp_path / "resumed").fit()
    second = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=fp16"), tmp_path / "resumed")
    second.resume()
    second.fit()
    assert_bit_identical(full_state(straight), full_state(second))
    assert second.precision.scaler.get_scale() == straight.precision.scaler.get_scale()


def test_unknown_precision_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="train.precision: 'fp8'; choose from fp32, bf16, fp16"):
        tiny(TINY_TOY, tmp_path, "train.precision=fp8")


def test_unscale_gives_true_gradients_under_fp16():
    from gankit.training.precision import Precision

    w = nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=0.1)
    precision = Precision("fp16", torch.device("cpu"))
    with precision.autocast():
        loss = (w * torch.tensor([1.0, 2.0, 3.0])).sum()
    precision.backward(loss, [w])
    assert float(w.grad[0]) == precision.scaler.get_scale()  # scaled
    precision.unscale(opt)
    torch.testing.assert_close(w.grad, torch.tensor([1.0, 2.0, 3.0]))
    precision.step(opt)
    precision.update()
    torch.testing.assert_close(w.detach(), torch.tensor([0.9, 0.8, 0.7]))


# --- train.precision auto -------------------------------------------------------------------

def test_cpu_flags_are_read_from_cpuinfo_on_x86_and_arm(tmp_path):
    from gankit.training.precision import cpu_flags

    x86, arm = tmp_path / "x86", tmp_path / "arm"
    x86.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_tile\nbugs\t\t: spectre\n")
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n")
    assert {"avx512_bf16", "avx512f"} <= cpu_flags(x86) and "spectre" not in cpu_flags(x86)
    assert "bf16" in cpu_flags(arm)
    assert cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize("flags, capability, native", [
    ({"avx512f", "avx512_bf16"}, "AVX512", True), ({"avx512f", "amx_bf16"}, "AVX512", True),
    ({"asimd", "bf16"}, "SVE256", True), ({"avx512f", "avx2"}, "AVX512", False),  # AVX-512 alone emulates bf16
    ({"avx512_bf16"}, "DEFAULT", False)])  # ATEN_CPU_CAPABILITY=default: torch's scalar kernels
def test_native_bf16_needs_the_instructions_and_torchs_kernels_for_them(monkeypatch, flags, capability, native):
    from gankit.training.precision import native_bf16

    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    assert native_bf16(torch.device("cpu"), flags) is native


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_trains_as_detected_and_says_so(tmp_path, monkeypatch, native):
    from gankit.training import precision

    monkeypatch.setattr(precision, "native_bf16", lambda device: native)
    trainer = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=auto"), tmp_path / "run")
    chosen = "bf16" if native else "fp32"
    assert trainer.precision.name == chosen
    assert trainer.precision.dtype == (torch.bfloat16 if native else None)
    trainer.fit()
    notes = [r["note"] for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if r.get("event") == "note"]
    assert notes == [f"train.precision auto: {chosen} (the cpu device {'has' if native else 'has no'} native bf16)"]
    assert trainer.cfg.train.precision == "auto"  # the config (and every checkpoint's copy) keeps the choice open


def test_auto_precision_resumes_in_the_precision_it_was_trained_in(tmp_path, monkeypatch):
    """A run started where bf16 is native and resumed where it is not goes on in bf16 (and says why), the same
    update as a run never moved, rather than switching its numerics at the resume."""
    from gankit.training import precision

    monkeypatch.setattr(precision, "native_bf16", lambda device: True)
    straight = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=auto"), tmp_path / "straight")
    straight.fit()
    make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=auto", "train.steps=3"), tmp_path / "moved").fit()
    monkeypatch.setattr(precision, "native_bf16", lambda device: False)  # the "other machine"
    moved = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=auto"), tmp_path / "moved")
    assert moved.precision.name == "fp32"  # what this machine alone would choose
    moved.resume()
    assert moved.precision.name == "bf16" and moved.precision.dtype == torch.bfloat16
    moved.fit()
    assert_bit_identical(full_state(straight), full_state(moved))
    notes = [r["note"] for r in MetricsLog(tmp_path / "moved" / "metrics.jsonl").read() if r.get("event") == "note"]
    assert notes[-1] == "train.precision auto: bf16, as the checkpoint was trained (this cpu device alone would choose fp32)"


def test_a_checkpoint_naming_an_unknown_precision_is_refused_in_one_line():
    from gankit.errors import CheckpointError
    from gankit.training.precision import Precision

    with pytest.raises(CheckpointError, match="trained in precision 'fp8'; gankit knows fp32, bf16, fp16"):
        Precision("auto", "cpu").resumed("fp8")


def test_a_precision_named_outright_is_not_overridden_by_the_checkpoint(tmp_path):
    make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=bf16", "train.steps=3"), tmp_path / "run").fit()
    resumed = make_trainer(tiny(TINY_TOY, tmp_path, "train.precision=fp32"), tmp_path / "run")
    resumed.resume()
    assert resumed.precision.name == "fp32"
