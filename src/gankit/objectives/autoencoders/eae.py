"""EAE, the entropic autoencoder (Ghose, Rashwan, Poupart 2020; Su kexue.fm/archives/7343; docs/algorithms.md
section 13): codes BatchNorm-ed without affine parameters (zero mean, unit variance per coordinate) and their
entropy maximised, so that they approach N(0, I); samples decode z ~ N(0, I)."""
from __future__ import annotations

import math

import torch
from torch import nn

from ...domains import AT_LEAST_0, integers
from ...errors import ConfigError
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, with_total

EULER_GAMMA = 0.5772156649015329


def kozachenko_leonenko(z: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Entropy estimate in nats of the distribution behind samples z [n, d]: (d/n) sum_i log eps_k(i) + log B_d
    + psi(n) - psi(k), eps_k(i) the distance from z_i to its k-th nearest other sample, B_d the unit-ball
    volume (Kozachenko & Leonenko 1987). Differentiable through the distances only."""
    n, d = z.shape
    if n <= k:
        raise ConfigError(f"the k-NN entropy estimate needs more than k = {k} samples, got {n}")
    # computed directly: cdist's default matmul path (above 25 rows) reads points ~1e-5 apart in float32 as 0,
    # which sends log eps to log 1e-12 and leaves such pairs no gradient to separate
    distances = torch.cdist(z, z, compute_mode="donot_use_mm_for_euclid_dist")
    distances = distances + torch.diag(torch.full((n,), float("inf"), device=z.device, dtype=z.dtype))
    eps = distances.topk(k, dim=1, largest=False).values[:, -1]
    log_unit_ball = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)
    digamma = torch.special.digamma(torch.tensor([float(n), float(k)], dtype=torch.float64))
    return d * torch.log(eps + 1e-12).mean() + log_unit_ball + float(digamma[0] - digamma[1])


class NormalizedEncoder(nn.Module):
    """E(x) followed by BatchNorm without affine parameters: the codes Z = BN(E(x))."""

    def __init__(self, encoder: nn.Module, z_dim: int):
        super().__init__()
        self.encoder = encoder
        self.norm = nn.BatchNorm1d(z_dim, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.encoder(x))


@OBJECTIVES.register("eae")
class EAE(Objective):
    """L = E_b ||x - G(Z)||^2 - entropy_weight H(Z), Z = BN(E(x)), H the Kozachenko-Leonenko estimate with
    k neighbours over the batch; the squared error is summed over the data entries. Phase AE trains E and G."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("encoder")}
    capabilities = Capabilities(encoder="E")
    option_domains = {"entropy_weight": AT_LEAST_0, "k": integers(1, 1000)}  # read by registry.check_options

    def __init__(self, networks, z_dim, entropy_weight: float = 1.0, k: int = 1):
        networks = dict(networks)
        networks["E"] = NormalizedEncoder(networks["E"], z_dim)
        super().__init__(networks, z_dim)
        self.entropy_weight, self.k = entropy_weight, k

    def phases(self) -> list[Phase]:
        return [Phase("AE", ("E", "G"), "generator", self.loss)]

    def loss(self, batch: Batch) -> Losses:
        codes = self.nets["E"](batch.x)
        reconstruction = (batch.x - self.nets["G"](codes)).flatten(1).pow(2).sum(1).mean()
        entropy = kozachenko_leonenko(codes, self.k)
        return with_total({"recon": reconstruction, "entropy": -self.entropy_weight * entropy}, code_entropy=entropy)

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.encoder(E)(x)
