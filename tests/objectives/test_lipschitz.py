"""Penalties against closed forms and finite differences, lazy intervals, spectral normalization."""
import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call
from torch.testing import assert_close

from gankit.data import DataSpec
from gankit.errors import ConfigError
from gankit.nn import DISCRIMINATORS, build_network
from gankit.nn.spectral import apply_spectral_norm, critic_outputs
from gankit.objectives import PENALTIES
from gankit.objectives.base import Batch
from gankit.objectives.constraints import FrobeniusClip, SpectralNorm
from gankit.objectives.gan import HingeGAN
from gankit.objectives.penalties import dragan_perturb, input_gradient_norm, spectral_norms

from .test_penalties import Linear, unit


def quadratic(a):
    """f(x) = a/2 ||x||^2: grad = a x."""
    return lambda x: 0.5 * a * (x.flatten(1) ** 2).sum(1)


# (penalty, options, value for a linear critic of slope s)
LINEAR_CASES = [
    ("gp", {}, lambda s: (s - 1) ** 2),
    ("gp-onesided", {}, lambda s: max(s - 1, 0.0) ** 2),
    ("r1", {}, lambda s: 0.5 * s**2),
    ("r2", {}, lambda s: 0.5 * s**2),
    ("zero-centred", {}, lambda s: s**2),
    ("zero-centred", {"points": "interpolates"}, lambda s: s**2),
    ("dragan", {"k": 1.0}, lambda s: (s - 1) ** 2),
    ("wgan-div", {}, lambda s: s**6),
    ("wgan-div", {"p": 2.0, "points": "real+fake"}, lambda s: s**2),
]


@pytest.mark.parametrize("name,options,expected", LINEAR_CASES)
@pytest.mark.parametrize("slope", [0.5, 3.0])
def test_penalty_of_linear_critic(name, options, expected, slope):
    penalty = PENALTIES.get(name)(weight=1.0, **options)
    D = Linear(unit(6, scale=slope))
    out = penalty(D, torch.randn(8, 2, 3), torch.randn(8, 2, 3))
    assert_close(out, torch.full_like(out, expected(slope)), rtol=1e-5, atol=1e-6)


def test_penalties_of_quadratic_critic():
    a, x_r, x_f = 2.0, torch.randn(8, 3), torch.randn(8, 3)
    D = quadratic(a)
    get = lambda name, **kw: PENALTIES.get(name)(weight=1.0, **kw)(D, x_r, x_f)  # noqa: E731
    assert_close(get("r1"), 0.5 * a**2 * x_r.norm(dim=1) ** 2)
    assert_close(get("r2"), 0.5 * a**2 * x_f.norm(dim=1) ** 2)
    assert_close(get("zero-centred"), a**2 * x_r.norm(dim=1) ** 2)
    assert_close(get("zero-centred", points="fake"), a**2 * x_f.norm(dim=1) ** 2)
    assert_close(get("dragan", scale=0.0), (a * x_r.norm(dim=1) - 1) ** 2)
    both = torch.cat([x_r, x_f]).norm(dim=1)
    assert_close(get("wgan-div", points="real+fake"), (a * both) ** 6)
    # interpolates between a set and itself are the set
    assert_close(PENALTIES.get("gp")(weight=1.0)(D, x_r, x_r), (a * x_r.norm(dim=1) - 1) ** 2)
    assert_close(PENALTIES.get("gp-onesided")(weight=1.0)(D, x_r, x_r), torch.relu(a * x_r.norm(dim=1) - 1) ** 2)


def reference_dragan_points(x, u, alpha, c=0.5):
    """Transcription of the authors' DRAGAN.ipynb: X_p = X + c * X.std() * U[0, 1] (get_perturbed_batch),
    interpolates = X + alpha * (X_p - X) with alpha ~ U[0, 1] of shape [batch, 1]."""
    x_p = x + c * x.std() * u
    return x + alpha * (x_p - x)


def test_dragan_points_match_the_reference_code():
    x = torch.randn(64, 5)
    torch.manual_seed(3)
    got = dragan_perturb(x, 0.5)
    torch.manual_seed(3)
    u = torch.rand_like(x)  # same draws in the same order: the noise, then alpha per sample
    alpha = torch.rand(64, 1)
    assert_close(got, reference_dragan_points(x, u, alpha))


def test_dragan_perturbation_sizes():
    """Per entry: offset c std U has mean c std / 2; the reference form halves it again (E alpha = 1/2)."""
    x = torch.randn(4096, 8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    interp, offset = dragan_perturb(x, 0.5) - x, dragan_perturb(x, 0.5, form="offset") - x
    symmetric = dragan_perturb(x, 0.5, noise="symmetric") - x
    std = float(x.std())
    for delta in (interp, offset):
        assert delta.min() >= 0 and delta.max() <= 0.5 * std * (1 + 1e-6)
    assert abs(float(offset.mean()) - 0.25 * std) < 0.01 and abs(float(interp.mean()) - 0.125 * std) < 0.01
    assert abs(float(symmetric.mean())) < 0.01 and symmetric.min() < 0 < symmetric.max()


def test_dragan_rejects_unknown_options():
    with pytest.raises(ConfigError, match="perturbation 'gauss'"):
        PENALTIES.get("dragan")(weight=1.0, perturbation="gauss")


def test_sn_regularization_of_known_singular_values():
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))
        net[2].weight.copy_(torch.tensor([[0.6, 0.8]]))
    value = PENALTIES.get("sn-reg")(weight=1.0)(net, None, None)
    assert_close(value, torch.tensor(0.5 * (9.0 + 1.0)))
    value.backward()  # d/dW (sigma^2 / 2) = sigma u v^T
    assert_close(net[0].weight.grad, torch.tensor([[3.0, 0.0], [0.0, 0.0]]))


def small_critic():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)).double()


class Squeezed(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).squeeze(1)


def test_input_gradient_norm_matches_finite_differences():
    D = Squeezed(small_critic())
    x = torch.randn(4, 3, dtype=torch.float64)
    h, grads = 1e-6, []
    for i in range(3):
        e = torch.zeros(3, dtype=torch.float64)
        e[i] = h
        grads.append((D(x + e) - D(x - e)) / (2 * h))
    assert_close(input_gradient_norm(D, x), torch.stack(grads, 1).norm(dim=1), rtol=1e-7, atol=1e-9)


DETERMINISTIC = [("gp", {}), ("gp-onesided", {}), ("r1", {}), ("r2", {}), ("zero-centred", {}),
                 ("dragan", {"scale": 0.0}), ("wgan-div", {"points": "real+fake"})]  # sn-reg: closed form above


@pytest.mark.parametrize("name,options", DETERMINISTIC)
def test_penalty_gradient_in_critic_weights_matches_finite_differences(name, options):
    """create_graph=True makes each penalty differentiable in D's weights; gradcheck compares with
    central differences (gp terms use x_fake = x_real so the interpolates are fixed)."""
    D = Squeezed(small_critic())
    with torch.no_grad():
        for i in (0, 2, 4):
            D.net[i].weight.mul_(3.0)  # slopes above 1 so that the one-sided penalty is active
    x_r = torch.randn(5, 3, dtype=torch.float64)
    x_f = x_r.clone() if name.startswith("gp") else torch.randn(5, 3, dtype=torch.float64)
    penalty = PENALTIES.get(name)(weight=1.0, **options)
    names = [k for k, _ in D.named_parameters()]

    def value(*params):
        return penalty(lambda x: functional_call(D, dict(zip(names, params)), (x,)), x_r, x_f).mean()

    params = tuple(p.detach().clone().requires_grad_(True) for p in D.parameters())
    assert float(value(*params).detach()) > 0
    assert torch.autograd.gradcheck(value, params, eps=1e-6, atol=1e-6)


def test_r1_is_zero_for_a_constant_critic():
    x_r, x_f = torch.randn(8, 3), torch.randn(8, 3)
    constant = torch.tensor(0.7, requires_grad=True)
    assert torch.equal(PENALTIES.get("r1")(weight=10.0)(lambda x: constant.expand(len(x)), x_r, x_f), torch.zeros(8))
    flat = nn.Linear(3, 1)
    nn.init.zeros_(flat.weight)
    assert torch.equal(PENALTIES.get("r1")(weight=10.0)(lambda x: flat(x).squeeze(1), x_r, x_f), torch.zeros(8))


def test_lazy_interval_keeps_the_expected_gradient():
    """every=k: the penalty is due on one step in k with weight k, so over any k consecutive critic steps
    the summed gradient equals that of the penalty applied on each of them."""
    x_r, x_f, k = torch.randn(16, 3), torch.randn(16, 3), 4
    grads = {}
    for every in (1, k):
        D = small_critic().float()
        penalty = PENALTIES.get("r1")(weight=10.0, every=every)
        due = [s for s in range(10, 10 + k) if penalty.applies(s)]
        assert len(due) == k // every
        for _ in due:
            penalty.term(lambda x: D(x).squeeze(1), x_r, x_f).backward()
        grads[every] = [p.grad.clone() for p in D.parameters() if p.grad is not None]  # not the last bias
    assert len(grads[k]) == len(grads[1]) == 5
    for lazy, eager in zip(grads[k], grads[1]):
        assert_close(lazy, eager)


def test_objective_skips_a_lazy_penalty_when_not_due():
    spec = DataSpec("v", (2,), bounded=False)
    nets = {"G": nn.Linear(2, 2), "D": build_network(DISCRIMINATORS, "mlp", {"hidden": 8}, "D", spec=spec, z_dim=2)}
    objective = HingeGAN(nets, z_dim=2, penalties=[PENALTIES.get("r1")(weight=1.0, every=3)])
    batch = lambda step: Batch(torch.randn(8, 2), None, torch.randn(8, 2), phase_step=step)  # noqa: E731
    assert "r1" in objective.critic_loss(batch(3)) and "r1" not in objective.critic_loss(batch(4))


# --- spectral normalization ------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [nn.Linear(20, 30), nn.Conv2d(3, 16, 3), nn.ConvTranspose2d(8, 4, 4, 2, 1),
                                   nn.Embedding(10, 6)])
def test_spectral_norm_makes_the_top_singular_value_one(layer):
    assert apply_spectral_norm(layer) == 1
    layer.train()
    for _ in range(200):  # one power iteration per training forward
        layer.parametrizations.weight[0](layer.parametrizations.weight.original)
    W = layer.weight
    matrix = W.transpose(0, 1).flatten(1) if isinstance(layer, nn.ConvTranspose2d) else W.flatten(1)
    assert abs(float(torch.linalg.matrix_norm(matrix.detach(), 2)) - 1.0) < 1e-3


def test_spectral_norm_power_iteration_runs_only_in_training():
    D = nn.Linear(6, 4)
    apply_spectral_norm(D)
    u = D.parametrizations.weight[0]._u.clone()
    D.eval()
    D(torch.randn(2, 6))
    assert torch.equal(u, D.parametrizations.weight[0]._u)
    D.train()
    D(torch.randn(2, 6))
    assert not torch.equal(u, D.parametrizations.weight[0]._u)


def test_spectral_norm_constraint_covers_every_layer_of_a_critic():
    spec = DataSpec("img", (1, 8, 8), bounded=True)
    D = build_network(DISCRIMINATORS, "sngan-cnn", {"width": 16}, "D", spec=spec, z_dim=2)
    SpectralNorm().attach(D)
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 4 and all(hasattr(m, "parametrizations") for m in layers)


def sn_critic():
    torch.manual_seed(1)
    D = build_network(DISCRIMINATORS, "mlp", {"hidden": 16, "depth": 2}, "D", spec=DataSpec("v", (3,)), z_dim=2)
    apply_spectral_norm(D)
    return D


def test_concatenated_forward_equals_two_forwards_sharing_sigma():
    """One forward of cat(real, fake) gives the losses of two forwards that use the same W / sigma."""
    x_r, x_f = torch.randn(8, 3), torch.randn(8, 3)
    D = sn_critic()
    reference = copy.deepcopy(D)
    real, fake = critic_outputs(D, x_r, x_f)
    ref_real = reference(x_r)  # runs the power iteration once, as the concatenated forward did
    reference.eval()          # no second iteration: the fake half uses the same sigma
    ref_fake = reference(x_f)
    assert_close(real, ref_real)
    assert_close(fake, ref_fake)
    assert_close(HingeGAN.d_loss(real, fake).mean(), HingeGAN.d_loss(ref_real, ref_fake).mean())
    for key, value in D.state_dict().items():  # and the same single update of u and v
        assert_close(value, reference.state_dict()[key])


def test_plain_critic_shares_one_forward_with_the_result_of_two():
    D = build_network(DISCRIMINATORS, "mlp", {"hidden": 16}, "D", spec=DataSpec("v", (3,)), z_dim=2)
    x_r, x_f = torch.randn(8, 3), torch.randn(8, 3)
    real, fake = critic_outputs(D, x_r, x_f)
    assert_close(real, D(x_r))
    assert_close(fake, D(x_f))


def test_batchnorm_critic_keeps_two_forwards():
    """BatchNorm's statistics would mix real and fake in one forward: the two batches stay apart."""
    D = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    x_r, x_f = torch.randn(8, 3), 5 + torch.randn(8, 3)
    real, fake = critic_outputs(D, x_r, x_f)
    assert torch.equal(real, D(x_r)) and torch.equal(fake, D(x_f))
    mixed = D(torch.cat([x_r, x_f]))[:8]
    assert (mixed - real).abs().max() > 1e-2  # what one forward would have given instead


def test_frobenius_clip_bounds_each_weight_matrix():
    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    with torch.no_grad():
        net[0].weight.mul_(100.0)
        net[1].weight.copy_(0.01 * net[1].weight / net[1].weight.norm())
    small = net[1].weight.clone()
    FrobeniusClip(1.0)(net)
    assert_close(net[0].weight.norm(), torch.tensor(1.0))
    assert torch.equal(net[1].weight, small)  # already inside: untouched
    assert max(float(s.detach()) for s in spectral_norms(net)) <= 1.0 + 1e-6


def test_objective_decides_the_shared_forward_once():
    nets = lambda D: {"G": nn.Linear(2, 3), "D": D}  # noqa: E731
    with_sn = HingeGAN(nets(sn_critic()), z_dim=2)
    plain = HingeGAN(nets(build_network(DISCRIMINATORS, "mlp", {"hidden": 8}, "D", spec=DataSpec("v", (3,)), z_dim=2)),
                     z_dim=2)
    batch_norm = HingeGAN(nets(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))), z_dim=2)
    assert with_sn.one_critic_forward and plain.one_critic_forward and not batch_norm.one_critic_forward
    batch = Batch(torch.randn(4, 3), None, torch.randn(4, 2))
    assert torch.isfinite(with_sn.critic_loss(batch)["total"])


def test_a_critic_that_mixes_samples_keeps_two_forwards():
    """A module of one's own that looks at the rest of the batch says so, and is scored batch by batch."""

    class MinibatchStd(nn.Module):
        mixes_samples = True

        def forward(self, x):
            return torch.cat([x, x.std(0, keepdim=True).expand(len(x), -1)], dim=1)

    D = nn.Sequential(MinibatchStd(), nn.Linear(6, 1))
    x_r, x_f = torch.randn(8, 3), 5 * torch.randn(8, 3)
    real, fake = critic_outputs(D, x_r, x_f)
    assert torch.equal(real, D(x_r)) and torch.equal(fake, D(x_f))
    assert not HingeGAN({"G": nn.Linear(2, 3), "D": D}, z_dim=2).one_critic_forward
