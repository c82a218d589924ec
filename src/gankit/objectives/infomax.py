"""Deep InfoMax as Su formulates it (kexue.fm/archives/6024, code bojone/infomax; Hjelm et al. 2018, arXiv
1808.06670; docs/algorithms.md section 23): a Gaussian encoder q(z|x) trained to maximise a Jensen-Shannon bound on
the mutual information between x and z, globally and at each position of a feature map, with a KL pull of q(z|x)
towards N(0, I). It gives codes and nothing to sample: no decoder, no generator."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn
from torch.nn.functional import softplus

from ..domains import AT_LEAST_0
from .base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, with_total


def js_loss(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """-E log sigmoid(T+) - E log(1 - sigmoid(T-)) from logits: the JS critic's loss (the code's
    -mean(log(s+) + log(1 - s-)) without its 1e-6)."""
    return softplus(-positive).mean() + softplus(negative).mean()


def shuffled(t: torch.Tensor) -> torch.Tensor:
    """t with its batch in a random order: the in-batch negatives (the code's tf.random_shuffle)."""
    return t[torch.randperm(len(t), device=t.device)]


@OBJECTIVES.register("infomax")
class InfoMax(Objective):
    """L = alpha JS_global + beta JS_local + gamma KL(q(z|x) || N(0, I)), z ~ q(z|x) by reparameterisation; global
    pairs (g(x), z) against (g(x), z of another item), local pairs (f_ij(x), z) against (f_ij(x'), z) with the
    feature maps shuffled; alpha 0.5, beta 1.5, gamma 0.01 (the code's). Codes: the mean of q(z|x)."""

    networks = {"E": NetworkSlot("gaussian-encoder", default="infomax")}
    capabilities = Capabilities(samples=False, encoder="E", reconstructs=False)
    ema_networks = ("E",)
    option_domains = {"global_weight": AT_LEAST_0, "local_weight": AT_LEAST_0, "prior_weight": AT_LEAST_0}

    def __init__(self, networks, z_dim, global_weight: float = 0.5, local_weight: float = 1.5,
                 prior_weight: float = 0.01):
        super().__init__(networks, z_dim)
        self.weights = {"global": global_weight, "local": local_weight, "prior": prior_weight}

    def phases(self) -> list[Phase]:
        return [Phase("E", ("E",), "generator", self.loss)]

    def loss(self, batch: Batch) -> Losses:
        E = self.nets["E"]
        local, g = E.features(batch.x)
        mu, log_var = E.head(g).chunk(2, dim=1)
        z = mu + (log_var / 2).exp() * torch.randn_like(mu)
        terms = {
            "global": js_loss(E.global_score(g, z), E.global_score(g, shuffled(z))),
            "local": js_loss(E.local_scores(local, z), E.local_scores(shuffled(local), z)),
            "prior": -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).mean(),  # per dimension, as the code
        }
        return with_total({f"{k}_loss": self.weights[k] * v for k, v in terms.items()}, code_std=mu.std())

    def encode(self, x: torch.Tensor, E: nn.Module | None = None) -> torch.Tensor:
        return self.encoder(E)(x).chunk(2, dim=1)[0]

    @torch.no_grad()
    def code_statistics(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> dict[str, float]:
        """noise_share: the share of a sampled code's variance that is q(z|x)'s own noise, mean over dimensions of
        E_x[sigma^2] / (Var_x[mu] + E_x[sigma^2]) (the law of total variance: 1 for codes that ignore x, 0 for codes
        set by x alone); label-free, so it applies to any data (an untrained encoder is near 1)."""
        mu, log_var = nets["E"](x).chunk(2, dim=1)
        noise, signal = log_var.exp().mean(0), mu.var(0)
        return {"noise_share": float((noise / (noise + signal)).mean())}

    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module], generator=None) -> torch.Tensor:
        from ..errors import ConfigError

        raise ConfigError("infomax has no generator or decoder: it gives codes only (gankit encode)")
