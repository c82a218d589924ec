"""EDM: the preconditioning's reference values, sigma_data measured and kept, exact resume, the denoiser networks for
any data shape, and --steps / NFE through sample and eval."""
import json
import math

import numpy as np
import pytest
import torch

from gankit.data import DataSpec
from gankit.nn import DENOISERS, build_network
from gankit.objectives.diffusion.preconditioning import denoising_loss, preconditioned
from gankit.training.experiment import experiment_from_checkpoint

from ...conftest import TINY_DIGITS, TINY_TOY, tiny
from ...test_cli import config_file, run
from ...training.test_trainer import assert_bit_identical, full_state, make_trainer

TINY_EDM_TOY = {**TINY_TOY, "objective": {"name": "edm", "options": {"sample_steps": 4, "sigma_data_items": 300}},
                "model": {"z_dim": 2, "F": {"name": "mlp", "options": {"hidden": 16, "depth": 2}}},
                "optim": {"F": {"name": "adam", "lr": 1e-3}}, "train": {**TINY_TOY["train"], "n_critic": 1}}
TINY_EDM_DIGITS = {**TINY_DIGITS, "objective": {"name": "edm", "options": {"sample_steps": 3}},
                   "model": {"z_dim": 8, "F": {"name": "unet", "options": {"width": 8, "levels": 1}}},
                   "optim": {"F": {"name": "adam", "lr": 1e-3}}, "train": {**TINY_DIGITS["train"], "n_critic": 1}}


def zero(x, c_noise):
    return torch.zeros_like(x)


def test_preconditioning_matches_table_1():
    """With F = 0, D = c_skip x; with F = 1, D - c_skip x = c_out; c_in and c_noise reach F as written."""
    x, sigma, sd = torch.ones(3, 2), torch.tensor([0.1, 0.5, 2.0]), 0.5
    c_skip = sd**2 / (sigma**2 + sd**2)
    c_out = sigma * sd / (sigma**2 + sd**2).sqrt()
    assert torch.allclose(preconditioned(zero, sd)(x, sigma), c_skip[:, None] * x)
    seen = {}

    def one(x_in, c_noise):
        seen.update(x_in=x_in, c_noise=c_noise)
        return torch.ones_like(x_in)

    assert torch.allclose(preconditioned(one, sd)(x, sigma) - c_skip[:, None] * x, c_out[:, None].expand(3, 2))
    assert torch.allclose(seen["x_in"], x / (sigma**2 + sd**2).sqrt()[:, None])
    assert torch.allclose(seen["c_noise"], sigma.log() / 4)


def test_loss_weight_makes_the_untrained_loss_one():
    """For data of standard deviation sigma_data and F = 0, lambda(sigma) E|c_skip (x + n) - x|^2 = 1 at every sigma
    (Karras et al. 2022, Appendix B.6): the weight is the reciprocal of the error's variance."""
    torch.manual_seed(0)
    x = 0.7 * torch.randn(200_000, 2)
    loss = denoising_loss(preconditioned(zero, 0.7), x, 0.7, -1.2, 1.2)
    assert float(loss.mean()) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("shape", [(2,), (1, 8, 8), (3, 16, 16), (2, 6, 6)])
def test_denoisers_take_any_shape(shape):
    spec = DataSpec("x", shape)
    name = "mlp" if len(shape) == 1 else "unet"
    F = build_network(DENOISERS, name, {"width": 8} if name == "unet" else {"hidden": 8}, "model.F.options",
                      spec=spec, z_dim=2)
    x = torch.randn(5, *shape)
    out = F(x, torch.linspace(-1, 1, 5))
    assert out.shape == x.shape
    assert not torch.allclose(out[0], F(x, torch.linspace(1, -1, 5))[0])  # the noise level reaches the output


@pytest.mark.parametrize("base", [TINY_EDM_TOY, TINY_EDM_DIGITS], ids=["ring8-mlp", "digits-unet"])
def test_sigma_data_measured_kept_and_resume_bit_identical(tmp_path, base):
    straight = make_trainer(tiny(base, tmp_path), tmp_path / "straight")
    sigma_data = straight.exp.objective.sigma_data
    assert math.isfinite(sigma_data) and 0.5 < sigma_data < 1.5
    straight.fit()
    first = make_trainer(tiny(base, tmp_path, "train.steps=3"), tmp_path / "resumed")
    first.fit()
    second = make_trainer(tiny(base, tmp_path), tmp_path / "resumed")
    second.exp.objective.sigma_data = 123.0  # a resume must restore the recorded value
    second.resume()
    assert second.exp.objective.sigma_data == sigma_data
    second.fit()
    state = full_state(straight)
    assert "objective.sigma_data" in state
    assert_bit_identical(state, full_state(second))


def test_measuring_leaves_the_training_rng_alone(tmp_path):
    cfg = tiny(TINY_EDM_TOY, tmp_path)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    trainer = make_trainer(cfg, tmp_path / "run")
    torch.manual_seed(5)
    trainer.exp.objective.measure_data(lambda n: trainer.dataset.sample(n, torch.Generator().manual_seed(0)))
    assert torch.equal(torch.rand(3), expected)


def test_sample_and_eval_take_steps_and_report_nfe(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_EDM_TOY), "--set", "train.steps=3")
    assert code == 0
    run_dir = next((tmp_path / "runs").iterdir())
    code, out, _ = run(capsys, "sample", str(run_dir), "-n", "6", "--steps", "5", "-o", str(tmp_path / "s.npz"))
    assert code == 0 and "heun, 5 steps, 9 NFE" in out
    assert np.load(tmp_path / "s.npz")["x"].shape == (6, 2)
    code, out, _ = run(capsys, "eval", str(run_dir), "-n", "200", "--steps", "1", "-o", str(tmp_path / "e.json"))
    assert code == 0 and json.loads((tmp_path / "e.json").read_text())["sampling"] == "heun, 1 steps, 1 NFE"
    exp, _ = experiment_from_checkpoint(run_dir)  # no dataset: sigma_data comes from the checkpoint
    assert 0.5 < exp.objective.sigma_data < 1.5


def test_steps_on_a_run_without_them_is_one_line_error(tmp_path, capsys):
    code, _, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_TOY), "--set", "train.steps=1")
    run_dir = next((tmp_path / "runs").iterdir())
    code, _, err = run(capsys, "sample", str(run_dir), "-n", "4", "--steps", "3", "-o", str(tmp_path / "s.npz"))
    assert code == 2 and "--steps" in err and "edm" in err and len(err.strip().splitlines()) == 1
