"""The energy-based model: its loss, its replay buffer in the checkpoint (bit-exact resume), its sampling."""
import pytest
import torch

from gankit.data import load_dataset
from gankit.errors import ConfigError
from gankit.training.experiment import build_experiment, experiment_from_checkpoint
from gankit.objectives.energy import igebm_loss
from gankit.objectives.replay import ReplayBuffer

from ..conftest import tiny
from ..training.test_trainer import assert_bit_identical, full_state, make_trainer

TINY_EBM_TOY = {
    "name": "tiny-ebm", "data": {"name": "ring8", "batch_size": 16},
    "model": {"z_dim": 2, "U": {"name": "mlp", "options": {"hidden": 16, "depth": 2, "activation": "silu"}}},
    "objective": {"name": "ebm", "options": {"steps": 4, "step_size": 0.05, "noise_scale": 0.01, "clip_grad": 1.0,
                                             "buffer_size": 40, "reinit_prob": 0.3, "init_range": 2.0,
                                             "sample_steps": 5}},
    "optim": {"U": {"name": "adam", "lr": 1e-3, "betas": [0.0, 0.999]}},
    "train": {"steps": 6, "n_critic": 1, "ema_decay": 0.0, "threads": 1},
    "log": {"log_every": 1, "sample_every": 0, "eval_every": 0, "checkpoint_every": 3, "eval_samples": 50,
            "progress": False, "keep_checkpoints": 10},
}
TINY_EBM_DIGITS = {**TINY_EBM_TOY, "data": {"name": "digits", "batch_size": 16},
                   "model": {"z_dim": 2, "U": {"name": "dcgan", "options": {"width": 8, "norm": "none"}}},
                   "constraints": [{"name": "spectral-norm", "network": "U"}],
                   "objective": {"name": "ebm", "options": {"steps": 3, "mala": True, "buffer_size": 40,
                                                            "sample_steps": 2}},
                   "log": {**TINY_EBM_TOY["log"], "num_samples": 4}}


def test_igebm_loss_adds_both_squares():
    e_real, e_fake = torch.tensor([1.0, -1.0]), torch.tensor([2.0, 4.0])
    terms = igebm_loss(e_real, e_fake, alpha=0.5)
    torch.testing.assert_close(terms["ebm_loss"], torch.tensor(0.0 - 3.0))
    torch.testing.assert_close(terms["l2"], torch.tensor(0.5 * (1.0 + 10.0)))


def test_replay_buffer_is_a_fifo_that_restarts_from_noise():
    buffer = ReplayBuffer(capacity=5, reinit_prob=0.0)
    fresh = torch.full((3, 2), -7.0)
    assert torch.equal(buffer.draw(fresh), fresh)  # empty: all noise
    buffer.push(torch.arange(8.0).repeat(2, 1).T)  # rows 0..7, capacity 5 keeps 3..7
    assert buffer.size == 5 and set(buffer.states[:, 0].tolist()) == {3.0, 4.0, 5.0, 6.0, 7.0}
    assert set(buffer.draw(fresh)[:, 0].tolist()) <= {3.0, 4.0, 5.0, 6.0, 7.0}
    buffer.reinit_prob = 1.0
    assert torch.equal(buffer.draw(fresh), fresh)


@pytest.mark.parametrize("base", [TINY_EBM_TOY, TINY_EBM_DIGITS], ids=["ring8-mlp-ula", "digits-sn-dcgan-mala"])
def test_resume_restores_weights_and_buffer_bit_identically(tmp_path, base):
    straight = make_trainer(tiny(base, tmp_path), tmp_path / "straight")
    straight.fit()
    first = make_trainer(tiny(base, tmp_path, "train.steps=3"), tmp_path / "resumed")
    first.fit()
    second = make_trainer(tiny(base, tmp_path), tmp_path / "resumed")
    second.resume()
    buffer = second.exp.objective.buffer
    assert (buffer.size, buffer.position) == (40, 3 * 16 - 40)  # 3 batches of 16 in a buffer of 40
    second.fit()
    state = full_state(straight)
    assert state["objective.buffer.states"].shape[0] == 40
    assert_bit_identical(state, full_state(second))


def test_energy_of_real_and_chains_is_logged_and_samples_come_from_chains(tmp_path):
    trainer = make_trainer(tiny(TINY_EBM_TOY, tmp_path), tmp_path / "run")
    result = trainer.fit()
    lines = [r for r in trainer.log.read() if "U/total" in r]
    assert {"energy_real", "energy_fake", "energy_chain_start"} <= set(lines[-1])
    exp, _ = experiment_from_checkpoint(result["checkpoint"])
    assert exp.objective.buffer.size == 40 and not exp.ema
    z = exp.objective.sample_z(30, torch.Generator().manual_seed(0))
    assert z.shape == (30, 2) and z.abs().max() <= 2.0
    a, b = (exp.generate(z, generator=torch.Generator().manual_seed(1)) for _ in range(2))
    assert torch.equal(a, b) and not torch.allclose(a, z)
    exp.objective.sample_from = "buffer"
    from_buffer = exp.generate(z, generator=torch.Generator().manual_seed(1))
    stored = exp.objective.buffer.states
    assert from_buffer.shape == (30, 2) and not torch.allclose(from_buffer, a)
    assert torch.cdist(from_buffer, stored).min(1).values.max() < 1.0  # a few short steps from stored states


def test_bad_sampling_option_is_one_line(tmp_path):
    cfg = tiny({**TINY_EBM_TOY, "objective": {"name": "ebm", "options": {"sample_from": "buffr"}}}, tmp_path)
    with pytest.raises(ConfigError, match="sample_from"):
        build_experiment(cfg, load_dataset("ring8").spec)


def test_sample_and_eval_start_chains_from_noise_or_the_buffer(tmp_path, capsys):
    import numpy as np

    from ..test_cli import config_file, run, run_dir_of

    code, out, _ = run(capsys, "train", "--config", config_file(tmp_path, TINY_EBM_TOY))
    run_dir = run_dir_of(out)
    for start in ("noise", "buffer"):
        target = tmp_path / f"{start}.npz"
        assert run(capsys, "sample", run_dir, "-n", "20", "--chains-from", start, "-o", str(target))[0] == 0
        assert np.load(target)["x"].shape == (20, 2)
    code, out, _ = run(capsys, "eval", run_dir, "-n", "100", "--chains-from", "buffer")
    assert code == 0 and "hq" in out
    with pytest.raises(SystemExit):  # argparse names the choices
        run(capsys, "sample", run_dir, "--chains-from", "nois")


class Quadratic(torch.nn.Module):
    """U(y) = sum_i c_i (y_i - m_i)^2 / 2 per sample: gradients on both sides of the IGEBM clip, chains that
    stay inside [-1, 1] (where gankit's order of noise and step and the reference's give the same states)."""

    def __init__(self, c: torch.Tensor, m: torch.Tensor):
        super().__init__()
        self.register_buffer("c", c)
        self.register_buffer("m", m)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.c * (y - self.m).pow(2)).sum(1)


def reference_igebm_chain(energy_of_pixels, x: torch.Tensor, steps: int, generator: torch.Generator) -> torch.Tensor:
    """The IGEBM code's CIFAR-10 chain on pixels in [0, 1] (flags step_lr 10, proj_norm 0.01 elementwise, noise
    standard deviation 0.005, temperature 1), written from its formula: noise first, the energy's gradient at the
    noisy point, clipped, one step, then the clip to [0, 1]. Returns the final state plus one more noise draw
    (the state gankit's chain, which adds its noise after the step, holds at that point)."""
    for _ in range(steps):
        x = x + 0.005 * torch.randn(x.shape, generator=generator)
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(energy_of_pixels(x).sum(), x)
        x = (x - 10.0 * grad.clamp(-0.01, 0.01)).clamp(0.0, 1.0).detach()
    return x + 0.005 * torch.randn(x.shape, generator=generator)


def test_default_chain_is_the_igebm_reference_chain_on_minus_one_to_one():
    """Data y = 2x - 1: the default step, clip and noise move y exactly as the reference's flags move x."""
    from gankit.data import DataSpec
    from gankit.objectives.energy import EnergyBasedModel

    g = torch.Generator().manual_seed(0)
    d, n = 16, 200
    U = Quadratic(0.005 + 0.035 * torch.rand(d, generator=g), 0.6 * torch.rand(d, generator=g) - 0.3)
    ebm = EnergyBasedModel({"U": U}, z_dim=d, spec=DataSpec("quadratic", (d,)))
    pixels = 0.25 + 0.5 * torch.rand(n, d, generator=g)  # y in [-0.5, 0.5]
    expected = 2 * reference_igebm_chain(lambda x: U(2 * x - 1), pixels, ebm.steps, torch.Generator().manual_seed(1))
    expected = expected - 1
    noise = torch.Generator().manual_seed(1)
    start = 2 * (pixels + 0.005 * torch.randn(pixels.shape, generator=noise)) - 1  # the reference's first noise
    clipped = (U.c * (start - U.m)).abs() > 0.005
    assert 0.2 < clipped.float().mean() < 0.8  # both sides of the clip at the start; all unclipped near the end
    y, _ = ebm.run_chains(U, start, ebm.steps, generator=noise)  # the remaining draws, in the same order
    assert expected.abs().max() < 0.95  # inside the clamp, where the two orders give the same states
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-6)  # 1.3e-7 measured; the old defaults: 0.066
