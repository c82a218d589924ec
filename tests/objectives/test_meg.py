"""MEG: the per-sample score penalty, the JSD MI loss, and a few training steps of both variants."""
import math

import pytest
import torch
from torch import nn

from gankit.objectives.meg import jsd_mi_loss, score_penalty

from ..conftest import TINY_TOY, tiny
from ..training.test_trainer import make_trainer


class Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1)


def test_score_penalty_is_the_squared_norm_over_the_whole_sample():
    w = torch.arange(12.0).view(3, 2, 2) / 10  # an image-shaped linear energy: grad = w everywhere
    x = torch.randn(5, 3, 2, 2)
    torch.testing.assert_close(score_penalty(Linear(w), x), torch.full((5,), float(w.pow(2).sum())))


def test_jsd_mi_loss_of_an_uninformed_statistics_network_is_log_2():
    class Zero(nn.Module):
        def forward(self, x, z):
            return torch.zeros(len(x))

    torch.testing.assert_close(jsd_mi_loss(Zero(), torch.randn(8, 2), torch.randn(8, 3)), torch.tensor(math.log(2)))


def meg_config(name):
    third = {"meg": ("T", {"name": "mlp", "options": {"hidden": 16, "depth": 1, "joint_hidden": 16}}),
             "meg-infogan": ("E", {"name": "mlp", "options": {"hidden": 16, "depth": 1}})}[name]
    nets = {"z_dim": 2, "G": TINY_TOY["model"]["G"], "U": TINY_TOY["model"]["D"], third[0]: third[1]}
    return {**TINY_TOY, "model": nets, "objective": {"name": name, "options": {"score_weight": 0.1}},
            "optim": {k: {"name": "adam", "lr": 1e-3} for k in ("G", "U", third[0])}}


@pytest.mark.parametrize("name, phase", [("meg", "GT"), ("meg-infogan", "GE")])
def test_meg_trains_its_three_networks(tmp_path, name, phase):
    trainer = make_trainer(tiny(meg_config(name), tmp_path), tmp_path / "run")
    before = {k: [p.clone() for p in net.parameters()] for k, net in trainer.exp.objective.nets.items()}
    trainer.fit()
    for k, net in trainer.exp.objective.nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[k], net.parameters())), k
    last = [r for r in trainer.log.read() if f"{phase}/total" in r][-1]
    assert {"energy_real", "energy_fake", "score", "mi_loss", "g_loss"} <= set(last)
    assert "G" in trainer.exp.ema  # samples come from the EMA generator, as for GANs


@pytest.mark.parametrize("name", ["meg", "meg-infogan"])
def test_meg_generator_phase_draws_no_real_batch(tmp_path, name):
    """The generator phase reads only z, so the trainer draws real data for the energy phase alone."""
    trainer = make_trainer(tiny(meg_config(name), tmp_path, "train.steps=3"), tmp_path / "run")
    energy, generator = trainer.phases
    assert energy.uses_real and not generator.uses_real
    drawn = []
    inner = trainer.batches.next
    trainer.batches.next = lambda: drawn.append(1) or inner()
    trainer.fit()
    assert len(drawn) == 3 * trainer.cfg.train.n_critic  # one per energy step, none for the 3 generator steps
