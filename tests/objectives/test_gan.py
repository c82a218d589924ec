"""Each loss against values computed by hand on fixed logits."""
import math

import torch
from torch.testing import assert_close

from gankit.objectives.gan import (hinge_d_loss, lsgan_d_loss, lsgan_g_loss, minimax_d_loss, minimax_g_loss,
                                   nonsaturating_g_loss, wgan_d_loss, wgan_g_loss)

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(v):
    return math.log(1.0 + math.exp(v))


def test_minimax_d_is_binary_cross_entropy():
    expected = [-math.log(1 / (1 + math.exp(-2.0))) - math.log(1 - 1 / (1 + math.exp(-0.5))),
                -math.log(1 / (1 + math.exp(1.0))) - math.log(1 - 1 / (1 + math.exp(3.0)))]
    assert_close(minimax_d_loss(REAL, FAKE), torch.tensor(expected))
    assert_close(minimax_d_loss(torch.zeros(1), torch.zeros(1)), torch.tensor([2 * math.log(2)]))


def test_generator_losses():
    d_fake = [1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(3.0))]  # D(G(z)) = sigmoid(logit)
    assert_close(minimax_g_loss(FAKE), torch.tensor([math.log(1 - p) for p in d_fake]))
    assert_close(nonsaturating_g_loss(FAKE), torch.tensor([-math.log(p) for p in d_fake]))
    assert_close(wgan_g_loss(FAKE), torch.tensor([-0.5, 3.0]))
    assert_close(lsgan_g_loss(FAKE), torch.tensor([0.125, 8.0]))


def test_critic_losses():
    assert_close(wgan_d_loss(REAL, FAKE), torch.tensor([-1.5, -2.0]))
    assert_close(hinge_d_loss(REAL, FAKE), torch.tensor([0.0 + 1.5, 2.0 + 0.0]))
    assert_close(lsgan_d_loss(REAL, FAKE), torch.tensor([0.5 * 1 + 0.5 * 0.25, 0.5 * 4 + 0.5 * 9]))


def test_nonsaturating_gradient_does_not_vanish_where_minimax_does():
    """At a confidently rejected fake (logit -10) minimax G's gradient ~ 0, non-saturating's ~ 1."""
    fake = torch.tensor([-10.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(minimax_g_loss(fake).sum(), fake)
    (g_ns,) = torch.autograd.grad(nonsaturating_g_loss(fake).sum(), fake)
    assert abs(float(g_mm)) < 1e-4 and abs(float(g_ns) + 1) < 1e-4
