"""The simultaneous schedule: one loss whose one backward gives D and G their alternating 1:1 gradients."""
import pytest
import torch
from torch.testing import assert_close

from gankit.data import load_dataset
from gankit.errors import ConfigError
from gankit.training.experiment import build_experiment
from gankit.objectives import Batch
from gankit.training.trainer import Trainer

from ..conftest import TINY_BIGAN, TINY_DIGITS, TINY_TOY, tiny
from .test_trainer import make_trainer

SINGLE = ["train.schedule=simultaneous", "train.n_critic=1"]
LAYER_NORM_D = ["model.D.options={width: 16, norm: layer}"]
CASES = {  # objective, extra overrides
    "ns": ["objective={name: ns}"], "hinge": ["objective={name: hinge}"], "wgan": ["objective={name: wgan}"],
    "lsgan": ["objective={name: lsgan}"], "minimax": ["objective={name: minimax}"],
    "wgan-gp": ["objective={name: wgan-gp, options: {gp_weight: 10.0}}"],
    "hinge+r1": ["objective={name: hinge}", "penalties=[{name: r1, weight: 5.0}]"],
    "ns+dragan": ["objective={name: ns}", "penalties=[{name: dragan, weight: 5.0}]"],
}


CONDITIONAL = {  # digits only: the class rides in z, D reads labels
    "ns projection+r1": ["model.G.options.conditional=true", "model.D.options.conditional=projection",
                         "penalties=[{name: r1, weight: 5.0}]"],
    "hinge acgan": ["objective={name: hinge, options: {class_weight: 0.5}}", "model.G.options.conditional=true",
                    "model.D.options.conditional=acgan"],
}


def objective_g_loss(objective, batch):
    with torch.no_grad():
        return objective.generator_loss(batch)["g_loss"]


def gradients(nets, names):
    return {f"{n}.{k}": p.grad.clone() for n in names for k, p in nets[n].named_parameters()}


def alternating_gradients(objective, batch):
    """D's gradient of the critic phase and G's of the generator phase, the way the trainer runs them."""
    nets, out = objective.nets, {}
    for phase in objective.phases():
        for name, net in nets.items():
            net.requires_grad_(name in phase.networks)
            net.zero_grad(set_to_none=True)
        torch.manual_seed(1)  # the same interpolates / perturbations for penalties
        phase.loss(batch)["total"].backward()
        out.update(gradients(nets, phase.networks))
    return out


def single_loss_gradients(objective, batch):
    nets = objective.nets
    for net in nets.values():
        net.requires_grad_(True)
        net.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    losses = objective.single_loss_phase().loss(batch)
    losses["total"].backward()
    return gradients(nets, ("D", "G")), losses


@pytest.mark.parametrize("data, case", [(d, c) for d in ("ring8-mlp", "digits-dcgan") for c in CASES]
                         + [("digits-dcgan", c) for c in CONDITIONAL])
def test_single_loss_gradients_equal_alternating_ones(tmp_path, case, data):
    base, extra = (TINY_TOY, []) if data == "ring8-mlp" else (TINY_DIGITS, LAYER_NORM_D)
    cfg = tiny(base, tmp_path, *extra, *CASES.get(case, CONDITIONAL.get(case)))
    dataset = load_dataset(cfg.data.name)
    exp = build_experiment(cfg, dataset.spec)
    x, y = dataset.batches(cfg.data.batch_size).next()
    batch = Batch(x, y, exp.objective.sample_z(len(x), torch.Generator().manual_seed(3)))
    expected = alternating_gradients(exp.objective, batch)
    got, losses = single_loss_gradients(exp.objective, batch)
    assert got.keys() == expected.keys()
    for key in expected:
        assert_close(got[key], expected[key], rtol=1e-4, atol=1e-6, msg=key)
    assert_close(losses["g_loss"].detach(), objective_g_loss(exp.objective, batch))  # the G loss, as alternating
    assert any(float(g.abs().max()) > 0 for k, g in got.items() if k.startswith("G."))


def test_simultaneous_run_trains_one_phase_per_iteration(tmp_path):
    trainer = make_trainer(tiny(TINY_TOY, tmp_path, *SINGLE, "objective={name: hinge}"), tmp_path / "run")
    before = {n: [p.detach().clone() for p in net.parameters()] for n, net in trainer.exp.objective.nets.items()}
    trainer.fit()
    assert trainer.phase_steps == {"D+G": 6}
    assert trainer.exp.updates["D"].num_steps == trainer.exp.updates["G"].num_steps == 6
    for name, net in trainer.exp.objective.nets.items():
        assert not all(torch.equal(a, b) for a, b in zip(before[name], net.parameters())), name


@pytest.mark.parametrize("base, overrides, message", [
    (TINY_TOY, ["train.schedule=simultaneous"], "needs train.n_critic=1 and train.n_generator=1, not 2 and 1"),
    (TINY_TOY, [*SINGLE, "model.D.options={hidden: 16, norm: batch}"], "network D has BatchNorm"),
    (TINY_BIGAN, SINGLE, "this objective has no single-loss form .objectives with one: gan-qp, hinge"),
])
def test_simultaneous_refuses_what_it_cannot_serve(tmp_path, base, overrides, message):
    cfg = tiny(base, tmp_path, *overrides)
    dataset = load_dataset(cfg.data.name)
    with pytest.raises(ConfigError, match=message):
        Trainer(build_experiment(cfg, dataset.spec), dataset, tmp_path / "run")
