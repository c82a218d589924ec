"""GAN-QP, BiGAN / ALI, BiGAN-QP and O-GAN: losses on fixed tensors, stop-gradients, invariances."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from gankit.errors import ConfigError
from gankit.objectives.base import Batch
from gankit.objectives.encoder_gans import ALI, BiGAN, BiGANQP, OGAN, normalize, pearson, x_reconstruction, z_reconstruction
from gankit.objectives.qp import GANQP, qp_critic_loss, qp_distance


class Sum(nn.Module):
    """T(x) = scale * sum of x's entries."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, x):
        return self.scale * x.flatten(1).sum(1)


class JointSum(nn.Module):
    def forward(self, x, z):
        return x.flatten(1).sum(1) + 2 * z.sum(1)


class Constant(nn.Module):
    """G(z) = a fixed batch, whatever z."""

    def __init__(self, out):
        super().__init__()
        self.out = nn.Parameter(out.clone())

    def forward(self, z):
        return self.out[: len(z)]


def test_qp_distances_by_hand():
    x_r, x_f = torch.tensor([[0.0, 2.0], [1.0, 1.0]]), torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert_close(qp_distance(x_r, x_f, "l1", eps=0.0), torch.tensor([1.5, 0.0]))
    assert_close(qp_distance(x_r, x_f, "l2", eps=0.0), torch.tensor([(5 / 2) ** 0.5, 0.0]))
    assert qp_distance(x_r, x_r, "l1")[0] == 1e-8  # eps keeps identical pairs finite
    with pytest.raises(ConfigError, match="choose from l1, l2"):
        qp_distance(x_r, x_f, "l3")


def test_qp_critic_loss_by_hand_and_its_optimum():
    """-dT + dT^2 / (2 lambda d): at dT = 2, d = 0.5, lambda = 10 it is -2 + 4 / 10; minimised at dT = lambda d
    with value -lambda d / 2 (the delta test of the paper)."""
    assert_close(qp_critic_loss(torch.tensor([2.0]), torch.tensor([0.5]), 10.0), torch.tensor([-1.6]))
    delta = torch.tensor([5.0], requires_grad=True)
    value = qp_critic_loss(delta, torch.tensor([0.5]), 10.0)
    (slope,) = torch.autograd.grad(value.sum(), delta)
    assert_close(value, torch.tensor([-2.5]))
    assert_close(slope, torch.tensor([0.0]))
    others = torch.tensor([4.0, 4.9, 5.1, 6.0])
    assert (qp_critic_loss(others, torch.full((4,), 0.5), 10.0) > -2.5).all()


def test_gan_qp_losses_on_fixed_tensors():
    x_r, x_f = torch.tensor([[1.0, 3.0], [0.0, 0.0]]), torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    objective = GANQP({"G": Constant(x_f), "D": Sum(0.5)}, z_dim=2, distance="l1", lam=10.0)
    batch = Batch(x_r, None, torch.zeros(2, 2))
    delta = 0.5 * torch.tensor([4.0 - 1.0, 0.0 - 2.0])   # T(x_r) - T(x_f)
    d = torch.tensor([1.5, 1.0]) + 1e-8
    assert_close(objective.critic_loss(batch)["d_loss"], (-delta + delta**2 / (20 * d)).mean())
    # G's loss has no quadratic term: its gradient in G is that of -T(G(z))
    objective.generator_loss(batch)["total"].backward()
    assert_close(objective.nets["G"].out.grad, torch.full((2, 2), -0.5 / 2))


def test_bigan_losses_on_fixed_tensors():
    x, z = torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5]])
    G, E = Constant(torch.tensor([[0.0, 2.0]])), nn.Linear(2, 1, bias=False)
    nn.init.constant_(E.weight, 1.0)  # E(x) = x1 + x2
    objective = BiGAN({"G": G, "E": E, "D": JointSum()}, z_dim=1)
    real, fake = torch.tensor(0.0 + 2 * 0.0), torch.tensor(2.0 + 2 * 0.5)  # D(x, E(x)), D(G(z), z)
    batch = Batch(x, None, z)
    assert_close(objective.critic_loss(batch)["d_loss"], F.softplus(-real) + F.softplus(fake))
    assert_close(objective.generator_loss(batch)["ge_loss"], F.softplus(real) + F.softplus(-fake))


class JointQuadratic(nn.Module):
    """D(x, z) = w (||x||^2 / 2 + ||z||^2): grad_x = w x, grad_z = 2 w z."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(1.5))

    def forward(self, x, z):
        return self.w * (0.5 * x.pow(2).sum(1) + z.pow(2).sum(1))


def test_bigan_r1_on_real_pairs_by_hand():
    """(gamma / 2) E ||(w x, 2 w E(x))||^2 over the real pairs, differentiable in D's weights only."""
    x, z = torch.tensor([[1.0, -1.0], [0.5, 2.0]]), torch.zeros(2, 1)
    E = nn.Linear(2, 1, bias=False)
    nn.init.constant_(E.weight, 1.0)  # E(x) = x1 + x2: 0 and 2.5
    D = JointQuadratic()
    objective = BiGAN({"G": Constant(torch.zeros(2, 2)), "E": E, "D": D}, z_dim=1, r1=10.0)
    losses = objective.critic_loss(Batch(x, None, z))
    e = x.sum(1)
    want = 0.5 * 10.0 * (1.5**2 * x.pow(2).sum(1) + (2 * 1.5 * e) ** 2).mean()
    assert_close(losses["r1"], want)
    losses["r1"].backward()
    assert_close(D.w.grad, 2 * want / 1.5)  # the term is quadratic in w
    assert E.weight.grad is None


def test_ali_encodes_with_the_mean_and_trains_on_draws():
    E = nn.Linear(3, 4)
    objective = ALI({"G": nn.Linear(2, 3), "E": E, "D": JointSum()}, z_dim=2)
    x = torch.randn(2000, 3)
    mu, log_var = E(x).chunk(2, dim=1)
    assert torch.equal(objective.encode(x), mu)
    draws = objective.posterior(x) - mu
    assert_close((draws / (0.5 * log_var).exp()).std(), torch.tensor(1.0), atol=0.03, rtol=0)


def test_bigan_qp_stop_gradients():
    """The z-term trains only E, the x-term only G (docs/algorithms.md section 7)."""
    G, E = nn.Linear(2, 3), nn.Linear(3, 2)
    x, z = torch.randn(4, 3), torch.randn(4, 2)
    z_reconstruction(E, G(z), z).backward()
    assert all(p.grad is None for p in G.parameters()) and all(p.grad.abs().sum() > 0 for p in E.parameters())
    G.zero_grad(set_to_none=True), E.zero_grad(set_to_none=True)
    x_reconstruction(G, E(x), x).backward()
    assert all(p.grad is None for p in E.parameters()) and all(p.grad.abs().sum() > 0 for p in G.parameters())


def test_bigan_qp_losses_on_fixed_tensors():
    x, z = torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5]])
    G, E = Constant(torch.tensor([[0.0, 2.0]])), nn.Linear(2, 1, bias=False)
    nn.init.constant_(E.weight, 1.0)
    objective = BiGANQP({"G": G, "E": E, "D": JointSum()}, z_dim=1, lam=10.0, beta_z=2.0, beta_x=3.0)
    batch = Batch(x, None, z)
    delta = torch.tensor(0.0 - 3.0)                      # D(x, E(x)) - D(G(z), z)
    d = torch.tensor((1.0 + 3.0) / 2 + abs(0.0 - 0.5))   # mean |x - G(z)| + mean |E(x) - z|
    assert_close(objective.critic_loss(batch)["d_loss"], -delta + delta**2 / (20 * d), rtol=1e-6, atol=1e-6)
    terms = objective.generator_loss(batch)
    assert_close(terms["ge_loss"], delta)
    assert_close(terms["z_rec"], torch.tensor(2.0 * (0.5 - 2.0) ** 2))            # E(G(z)) = 0 + 2
    assert_close(terms["x_rec"], torch.tensor(3.0 * ((1.0 - 0.0) ** 2 + (-1.0 - 2.0) ** 2) / 2))  # G is constant


def test_pearson_by_hand_and_invariant_to_shift_and_scale():
    z = torch.tensor([[1.0, 2.0, 3.0]])
    assert_close(pearson(z, torch.tensor([[2.0, 4.0, 6.0]])), torch.tensor([1.0]))
    assert_close(pearson(z, torch.tensor([[3.0, 2.0, 1.0]])), torch.tensor([-1.0]))
    z, e = torch.randn(16, 8), torch.randn(16, 8)
    shifted = 3.0 * e + torch.randn(16, 1)  # per-sample shift, positive scale
    assert_close(pearson(z, shifted), pearson(z, e))
    assert_close(normalize(e).mean(1), torch.zeros(16), atol=1e-6, rtol=0)
    assert_close(normalize(e).pow(2).mean(1), torch.ones(16), atol=1e-5, rtol=0)


def test_o_gan_losses_on_fixed_tensors():
    x_r, x_f, z = torch.tensor([[1.0, 3.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, -1.0]])
    E = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        E.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))  # E(x) = (x1, 2 x2)
    objective = OGAN({"G": Constant(x_f), "E": E}, z_dim=2, corr_weight=0.5, qp_weight=0.25)
    batch = Batch(x_r, None, z)
    t = (1.0 + 6.0) / 2 - (0.0 + 2.0) / 2                  # avg E(x_r) - avg E(x_f)
    rho = float(pearson(z, torch.tensor([[0.0, 2.0]])))  # = -1
    terms = objective.encoder_loss(batch)
    assert_close(terms["e_loss"], torch.tensor(t))
    assert_close(terms["qp"], torch.tensor(0.25 * t**2 / ((1.0 + 4.0) / 2)))
    assert_close(terms["corr"], torch.tensor(-0.5 * rho))
    g_terms = objective.generator_loss(batch)
    assert_close(g_terms["g_loss"], torch.tensor(1.0))
    assert_close(g_terms["corr"], torch.tensor(-0.5 * rho))


def test_o_gan_reconstruction_codes_are_shrunk_normalised():
    E = nn.Linear(4, 6)
    objective = OGAN({"G": nn.Linear(6, 4), "E": E}, z_dim=6, shrink=0.9)
    codes = objective.encode(torch.randn(5, 4))
    assert_close(codes.pow(2).mean(1), torch.full((5,), 0.81), atol=1e-4, rtol=0)


def test_penalties_are_refused_where_the_critic_takes_codes():
    from gankit.config import build_config
    from gankit.data import load_dataset
    from gankit.objectives import build_objective

    cfg = build_config({"data": {"name": "ring8"}, "objective": {"name": "bigan"}, "penalties": [{"name": "gp"}]})
    with pytest.raises(ConfigError, match="bigan takes no critic penalties.*that take them: .*wgan-gp"):
        build_objective(cfg, load_dataset("ring8").spec)
