"""VAE: the importance-sampled likelihood against probabilistic PCA's closed form, the KL, Su's BatchNorm fix,
dequantization and the units of the report."""
import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from gankit.objectives.autoencoders.likelihood import grid_spacing, importance_log_likelihood
from gankit.objectives.autoencoders.vae import VAE, NormalizedMeans, dequantize, gaussian_kl
from gankit.data import DataSpec
from gankit.errors import ConfigError
from gankit.objectives.base import Batch

D, Z = 6, 2


def ppca_vae(sigma: float = 0.5, mean_shift: float = 0.3, var_scale: float = 1.5):
    """A linear-Gaussian VAE x = W z + b + sigma noise with orthogonal columns of W (so the exact posterior is
    diagonal), and an encoder that is that posterior with its mean shifted and its variance scaled: a proposal
    that is close but not exact."""
    torch.manual_seed(0)
    W = torch.linalg.qr(torch.randn(D, Z))[0] * torch.tensor([2.0, 1.0])  # columns orthogonal, norms 2 and 1
    b = torch.randn(D)
    G, E = nn.Linear(Z, D), nn.Linear(D, 2 * Z)
    M = W.T @ W + sigma**2 * torch.eye(Z)  # diagonal
    with torch.no_grad():
        G.weight.copy_(W), G.bias.copy_(b)
        A = torch.linalg.solve(M, W.T)  # posterior mean = A (x - b)
        post_var = sigma**2 / torch.diagonal(M)
        E.weight.zero_(), E.bias.zero_()
        E.weight[:Z] = A
        E.bias[:Z] = -A @ b + mean_shift * post_var.sqrt()
        E.bias[Z:] = torch.log(var_scale * post_var)
    vae = VAE({"G": G, "E": E}, Z, spec=DataSpec("ppca", (D,), bounded=False))
    with torch.no_grad():
        vae.nets["G"].log_scale.fill_(math.log(sigma))
    exact = torch.distributions.MultivariateNormal(b, W @ W.T + sigma**2 * torch.eye(D))
    return vae, exact


def test_importance_sampling_matches_ppca_closed_form_and_elbo_lies_below():
    vae, exact = ppca_vae()
    x = exact.sample((200,))
    log_px, elbo = importance_log_likelihood(vae, vae.nets, x, samples=2000, generator=torch.Generator().manual_seed(1),
                                             rows=50_000)
    truth = exact.log_prob(x).double()
    assert (log_px - truth).abs().max() < 0.05  # per sample, within 0.05 nats
    assert (elbo < truth).all() and float((truth - elbo).mean()) > 0.05  # the proposal is not exact


def test_importance_sampled_estimate_rises_with_k():
    vae, exact = ppca_vae()
    x = exact.sample((400,))
    truth = float(exact.log_prob(x).mean())
    means = []
    for k in (1, 4, 32, 256):
        log_px, _ = importance_log_likelihood(vae, vae.nets, x, k, torch.Generator().manual_seed(k))
        means.append(float(log_px.mean()))
    assert means == sorted(means) and means[-1] < truth + 0.01
    assert truth - means[0] > 5 * (truth - means[-1])


def test_chunking_does_not_change_the_estimate():
    vae, exact = ppca_vae()
    x = exact.sample((10,))
    a, _ = importance_log_likelihood(vae, vae.nets, x, 64, torch.Generator().manual_seed(3), rows=10_000)
    b, _ = importance_log_likelihood(vae, vae.nets, x, 64, torch.Generator().manual_seed(3), rows=64 * 10)
    assert_close(a, b)
    c, _ = importance_log_likelihood(vae, vae.nets, x, 64, torch.Generator().manual_seed(3), rows=16)
    assert (a - c).abs().max() < 0.2  # other draws, same quantity


def test_kl_closed_form_against_torch():
    mu, log_var = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * log_var).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    assert_close(gaussian_kl(mu, log_var), torch.distributions.kl_divergence(q, p).sum(1))


def test_vae_loss_is_reconstruction_plus_beta_kl():
    vae, exact = ppca_vae()
    vae.beta = 3.0
    torch.manual_seed(5)
    losses = vae.loss(Batch(exact.sample((16,)), None, torch.zeros(16, Z)))
    assert_close(losses["total"], losses["recon"] + losses["kl"])
    assert float(losses["kl"].detach()) > 0


def test_batchnorm_fix_keeps_the_kl_above_tau_d_over_2():
    torch.manual_seed(0)
    body = nn.Linear(4, 2 * 8)
    with torch.no_grad():
        body.weight.mul_(1e-2)  # collapsed means: without the fix the KL of the means would be ~0
    enc = NormalizedMeans(body, 8, tau=0.5)
    mu = enc(torch.randn(256, 4))[:, :8]
    assert float(0.5 * mu.detach().pow(2).sum(1).mean()) >= 0.5 * 8 / 2 - 1e-3


def test_dequantize_and_grid_spacing():
    x = torch.tensor([[-1.0, -0.875, 0.0, 1.0]])
    assert grid_spacing(x) == pytest.approx(0.125)
    assert grid_spacing(torch.randn(100, 3)) == 0.0
    noisy = dequantize(x.expand(1000, 4), 0.125, torch.Generator().manual_seed(0))
    assert ((noisy - x).abs() <= 0.0625).all() and float((noisy - x).mean().abs()) < 0.01
    assert dequantize(x, 0.0) is x


def test_unknown_decoder_is_a_config_error():
    with pytest.raises(ConfigError, match="choose gaussian or bernoulli"):
        VAE({"G": nn.Linear(2, 3), "E": nn.Linear(3, 4)}, 2, spec=DataSpec("v", (3,)), decoder="laplace")
