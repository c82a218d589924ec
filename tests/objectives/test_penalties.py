import torch
from torch import nn
from torch.testing import assert_close

from gankit.objectives.constraints import WeightClip
from gankit.objectives.penalties import GradientPenalty, gradient_penalty, input_gradient_norm


class Linear(nn.Module):
    """f(x) = <w, x> over all non-batch axes."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x):
        return (x.flatten(1) * self.w.flatten()).sum(1)


def unit(shape, scale=1.0):
    w = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    return scale * w / w.norm()


def test_gp_is_zero_for_unit_norm_linear_critic():
    D = Linear(unit(2 * 4 * 4))
    x_r, x_f = torch.randn(16, 2, 4, 4), torch.randn(16, 2, 4, 4)
    assert_close(gradient_penalty(D, x_r, x_f), torch.zeros(16), atol=1e-10, rtol=0)


def test_gp_of_scaled_linear_critic_is_known():
    D = Linear(unit(3, scale=3.0))  # ||grad|| = 3 everywhere -> (3 - 1)^2 = 4
    assert_close(gradient_penalty(D, torch.randn(8, 3), torch.randn(8, 3)), torch.full((8,), 4.0))
    assert_close(GradientPenalty(weight=10.0, center=0.0)(D, torch.randn(8, 3), torch.randn(8, 3)),
                 torch.full((8,), 9.0))


def test_gp_gradient_reaches_the_critic():
    """create_graph: the penalty is differentiable in D's weights; d/dw (||w|| - 1)^2 = 2(||w|| - 1) w/||w||."""
    w = unit(3, scale=2.0)
    D = Linear(w.clone())
    gradient_penalty(D, torch.randn(4, 3), torch.randn(4, 3)).mean().backward()
    assert_close(D.w.grad, 2 * (2.0 - 1) * w / 2.0)


def test_quadratic_critic_gradient_norm_matches_closed_form():
    D = lambda x: 0.5 * (x**2).sum(1)  # noqa: E731  grad = x
    x = torch.randn(5, 3)
    assert_close(input_gradient_norm(D, x), x.norm(dim=1))


def test_weight_clip_bounds_every_entry():
    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    with torch.no_grad():
        net[0].weight[0, 0] = 0.005
        net[0].weight[0, 1] = -3.0
    WeightClip(0.01)(net)
    for p in net.parameters():
        assert p.abs().max() <= 0.01
    assert net[0].weight[0, 0] == 0.005 and net[0].weight[0, 1] == -0.01
