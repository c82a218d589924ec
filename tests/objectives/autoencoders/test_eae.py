"""EAE: the Kozachenko-Leonenko entropy estimator against closed forms, and the objective's codes and loss."""
import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gankit.objectives.autoencoders.eae import EAE, kozachenko_leonenko
from gankit.errors import ConfigError
from gankit.objectives.base import Batch


@pytest.mark.parametrize("d,k", [(2, 1), (4, 1), (4, 3), (8, 1)])
def test_kozachenko_leonenko_within_5_percent_of_a_gaussians_entropy(d, k):
    g = torch.Generator().manual_seed(d + k)
    A = torch.randn(d, d, generator=g)
    sigma = 2.0 * (A @ A.T / d + torch.eye(d))
    z = torch.distributions.MultivariateNormal(torch.zeros(d), sigma).sample((3000,))
    exact = 0.5 * torch.logdet(2 * math.pi * math.e * sigma)
    estimate = kozachenko_leonenko(z, k)
    assert abs(float(estimate) - float(exact)) < 0.05 * abs(float(exact))


def test_kozachenko_leonenko_is_exact_under_shift_and_moves_by_log_scale_under_scaling():
    z = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    h = kozachenko_leonenko(z)
    assert_close(kozachenko_leonenko(z + 5.0), h, rtol=1e-4, atol=1e-4)
    assert_close(kozachenko_leonenko(2.0 * z), h + 3 * math.log(2.0), rtol=1e-4, atol=1e-4)


def test_entropy_gradient_spreads_the_codes():
    z = (0.1 * torch.randn(64, 2)).requires_grad_(True)
    kozachenko_leonenko(z).backward()
    assert float((z.grad * z.detach()).sum()) > 0  # ascent on H moves points outwards


def test_too_few_samples_is_a_config_error():
    with pytest.raises(ConfigError, match="more than k = 3"):
        kozachenko_leonenko(torch.randn(3, 2), k=3)


def test_eae_codes_are_normalised_and_the_loss_is_reconstruction_minus_entropy():
    torch.manual_seed(0)
    eae = EAE({"G": nn.Linear(4, 6), "E": nn.Linear(6, 4)}, 4, entropy_weight=0.5)
    x = 3 + 2 * torch.randn(128, 6)
    codes = eae.nets["E"](x)
    assert_close(codes.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    assert_close(codes.var(0, unbiased=False), torch.ones(4), atol=1e-3, rtol=0)
    losses = eae.loss(Batch(x, None, torch.zeros(128, 4)))
    assert_close(losses["entropy"], -0.5 * losses["code_entropy"])
    assert_close(losses["total"], losses["recon"] + losses["entropy"])
    assert not eae.nets["E"].norm.affine


def test_near_duplicate_codes_keep_their_distance_and_a_gradient_in_float32():
    """Above 25 rows torch.cdist's default takes the matmul path, which reads points ~1e-5 apart as distance 0
    (the estimate then falls through log(0 + 1e-12)); the distances must be computed directly."""
    g = torch.Generator().manual_seed(0)
    base = torch.randn(54, 4, generator=g)
    offsets = 1e-5 * nn.functional.normalize(torch.randn(10, 4, generator=g), dim=1)
    z = torch.cat([base, base[:10] + offsets]).requires_grad_(True)  # 64 rows in float32, 10 near-duplicate pairs
    exact = kozachenko_leonenko(z.detach().double())
    estimate = kozachenko_leonenko(z)
    assert estimate.dtype == torch.float32
    assert abs(float(estimate.detach()) - float(exact)) < 1e-3
    estimate.backward()
    pairs = torch.cat([z.grad[:10], z.grad[54:]])
    assert (pairs.norm(dim=1) > 1.0).all()  # d/n / eps ~ 6e3 pushing each pair apart, not 0
    along = ((z.grad[54:] - z.grad[:10]) * offsets).sum(1)
    assert (along > 0).all()  # ascent on H separates each pair along its own offset
