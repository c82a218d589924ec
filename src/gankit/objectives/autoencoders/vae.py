"""VAE (Kingma & Welling 2013; docs/algorithms.md section 15): Gaussian encoder q(z|x), Gaussian or Bernoulli decoder,
the KL in closed form, optional beta and Su's BatchNorm on the posterior means against KL vanishing."""
from __future__ import annotations

import math
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ...domains import AT_LEAST_0, PROBABILITY
from ...data import DataSpec
from ...errors import ConfigError
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, with_total

LOG_2PI = math.log(2 * math.pi)


class GaussianDecoder(nn.Module):
    """The generator as the mean of p(x|z) = N(G(z), diag exp(2 log_scale)), one learned scale per data entry
    (independent of z). forward(z) is the mean, so sampling and reconstruction decode means."""

    def __init__(self, mean: nn.Module, shape: tuple[int, ...], init_scale: float = 0.3):
        super().__init__()
        self.mean = mean
        self.log_scale = nn.Parameter(torch.full(shape, math.log(init_scale)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mean(z)

    def log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x; G(z), exp(2 log_scale)) summed over the data entries [N]."""
        log_scale = self.log_scale.clamp(-7.0, 2.0)
        sq = ((x - self.mean(z)) * torch.exp(-log_scale)).pow(2)
        return -(0.5 * sq + log_scale + 0.5 * LOG_2PI).flatten(1).sum(1)


class BernoulliDecoder(nn.Module):
    """p(x|z) = prod Bernoulli((x + 1) / 2; (G(z) + 1) / 2): a likelihood of binary data in {-1, 1}."""

    def __init__(self, mean: nn.Module):
        super().__init__()
        self.mean = mean

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.mean(z)

    def log_prob(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        p = ((self.mean(z) + 1) / 2).clamp(1e-6, 1 - 1e-6)
        return -F.binary_cross_entropy(p, (x + 1) / 2, reduction="none").flatten(1).sum(1)


class NormalizedMeans(nn.Module):
    """Su's fix against KL vanishing (kexue.fm/archives/7381): mu = gamma_mu * BN(mu_raw), BN without affine,
    gamma_mu = sqrt(tau + (1 - tau) sigmoid(theta)) per dimension; so the batch mean of mu^2 is at least tau
    and the average KL at least tau d / 2. (Applied to the means only; the log-variances pass unchanged.)"""

    def __init__(self, encoder: nn.Module, z_dim: int, tau: float = 0.5):
        super().__init__()
        self.encoder, self.tau = encoder, tau
        self.norm = nn.BatchNorm1d(z_dim, affine=False, eps=1e-8)  # Su's epsilon: collapsed means still normalise
        self.theta = nn.Parameter(torch.zeros(z_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        gamma = torch.sqrt(self.tau + (1 - self.tau) * torch.sigmoid(self.theta))
        return torch.cat([gamma * self.norm(mu), log_var], dim=1)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(log_var)) || N(0, I)) = 1/2 sum (mu^2 + sigma^2 - log sigma^2 - 1), per sample [N]."""
    return 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum(1)


def diagonal_normal_log_prob(z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(log_var)) summed over the last axis."""
    return -0.5 * ((z - mu).pow(2) * torch.exp(-log_var) + log_var + LOG_2PI).sum(-1)


def dequantize(x: torch.Tensor, bin_width: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """x + (u - 1/2) bin_width, u ~ U[0, 1)^D: uniform dequantization of data on a grid of spacing bin_width
    (each level's bin centred on it); the identity for bin_width 0."""
    if bin_width <= 0:
        return x
    u = torch.rand(x.shape, generator=generator).to(x.device)
    return x + (u - 0.5) * bin_width


@OBJECTIVES.register("vae")
class VAE(Objective):
    """L = E_x [ -E_{q(z|x)} log p(x|z) + beta KL(q(z|x) || N(0, I)) ] with z = mu + sigma eps (one draw), in nats
    per sample. decoder: gaussian (a learned scale per entry) or bernoulli; posterior_norm: none or batchnorm
    (Su's fix); dequantize: the grid spacing of discrete data (0.125 for digits), dequantized uniformly in
    training so the model is a density (0 = continuous data). Phase VAE trains E and G together."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("gaussian-encoder")}
    capabilities = Capabilities(encoder="E")
    option_domains = {"beta": AT_LEAST_0, "tau": PROBABILITY, "dequantize": AT_LEAST_0}  # registry.check_options reads it

    def __init__(self, networks, z_dim, spec: DataSpec, beta: float = 1.0, decoder: str = "gaussian",
                 posterior_norm: str = "none", tau: float = 0.5, dequantize: float = 0.0):
        networks = dict(networks)
        if decoder == "gaussian":
            networks["G"] = GaussianDecoder(networks["G"], spec.shape)
        elif decoder == "bernoulli":
            networks["G"] = BernoulliDecoder(networks["G"])
        else:
            raise ConfigError(f"objective.options.decoder: {decoder!r}; choose gaussian or bernoulli")
        if posterior_norm == "batchnorm":
            networks["E"] = NormalizedMeans(networks["E"], z_dim, tau)
        elif posterior_norm != "none":
            raise ConfigError(f"objective.options.posterior_norm: {posterior_norm!r}; choose none or batchnorm")
        super().__init__(networks, z_dim)
        self.beta, self.decoder, self.bin_width = beta, decoder, dequantize

    def phases(self) -> list[Phase]:
        return [Phase("VAE", ("E", "G"), "generator", self.loss)]

    def moments(self, x: torch.Tensor, E: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, log_var) of q(z|x), each [N, z_dim]."""
        mu, log_var = self.encoder(E)(x).chunk(2, dim=1)
        return mu, log_var.clamp(-12.0, 8.0)

    def loss(self, batch: Batch) -> Losses:
        x = dequantize(batch.x, self.bin_width)
        mu, log_var = self.moments(x)
        z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)
        reconstruction = -self.nets["G"].log_prob(x, z).mean()
        kl = gaussian_kl(mu, log_var).mean()
        return with_total({"recon": reconstruction, "kl": self.beta * kl}, elbo=-(reconstruction + kl))

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.moments(x, E)[0]

    @torch.no_grad()
    def log_weights(self, x: torch.Tensor, nets: Mapping[str, nn.Module], samples: int,
                    generator: torch.Generator | None = None) -> torch.Tensor:
        """log p(x|z_k) + log p(z_k) - log q(z_k|x), z_k ~ q(z|x), for k < samples: [samples, N]."""
        mu, log_var = self.moments(x, nets["E"])
        eps = torch.randn((samples, *mu.shape), generator=generator).to(mu.device)
        z = mu + (0.5 * log_var).exp() * eps  # [K, N, z_dim]
        x_rep = x.expand(samples, *x.shape).reshape(-1, *x.shape[1:])
        log_px_z = nets["G"].log_prob(x_rep, z.reshape(-1, z.shape[-1])).view(samples, len(x))
        log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
        return log_px_z + log_pz - diagonal_normal_log_prob(z, mu, log_var)
