"""GAN-QP: the quadratic-potential divergence, which needs no Lipschitz constraint (Su 2018, arXiv 1811.07296;
docs/algorithms.md section 6). Critic convention: T is high on real data."""
from __future__ import annotations

import dataclasses

import torch

from ..domains import POSITIVE
from ..errors import ConfigError
from .base import OBJECTIVES, Batch
from .gan import AdversarialObjective, wgan_g_loss

DISTANCES = ("l1", "l2")


def qp_distance(x_real: torch.Tensor, x_fake: torch.Tensor, kind: str, eps: float = 1e-8) -> torch.Tensor:
    """Per-pair distance [N]: l1 = mean_pix |x_r - x_f|, l2 = sqrt(mean_pix (x_r - x_f)^2), plus eps so
    near-identical pairs do not divide by zero (the author's gan_gp_l1.py / gan_qp_l2.py)."""
    diff = (x_real - x_fake).flatten(1)
    if kind == "l1":
        return diff.abs().mean(1) + eps
    if kind == "l2":
        return diff.pow(2).mean(1).sqrt() + eps
    raise ConfigError(f"gan-qp distance {kind!r}: choose from {', '.join(DISTANCES)}")


def qp_critic_loss(delta: torch.Tensor, distance: torch.Tensor, lam: float) -> torch.Tensor:
    """-dT + dT^2 / (2 lambda d) per pair [N], dT = T(x_r) - T(x_f): its optimum is the QP divergence."""
    return -delta + delta**2 / (2.0 * lam * distance)


@OBJECTIVES.register("gan-qp")
class GANQP(AdversarialObjective):
    """GAN-QP, unary form: the critic loss above on index-paired real and fake samples; the generator
    minimises E[dT], whose gradient is that of -T(G(z)). No quadratic term in G's loss (it would make
    G shrink the pixel distance). The author trains 2 D-steps per G-step with Adam 2e-4 (0.5, 0.999)."""

    g_loss = staticmethod(wgan_g_loss)
    # T's scores are defined up to a constant (only dT enters): their sign says nothing of real or fake
    capabilities = dataclasses.replace(AdversarialObjective.capabilities, real_sign=False)
    option_domains = {"lam": POSITIVE, "eps": POSITIVE}  # read by registry.check_options

    def __init__(self, networks, z_dim, penalties=(), distance: str = "l1", lam: float = 10.0, eps: float = 1e-8):
        super().__init__(networks, z_dim, penalties)
        if distance not in DISTANCES:
            raise ConfigError(f"objective.options.distance: {distance!r}; choose from {', '.join(DISTANCES)}")
        if lam <= 0:
            raise ConfigError(f"objective.options.lam: expected a positive number, got {lam}")
        self.distance, self.lam, self.eps = distance, lam, eps

    def critic_terms(self, batch: Batch, x_fake: torch.Tensor, real: torch.Tensor, fake: torch.Tensor):
        distance = qp_distance(batch.x, x_fake, self.distance, self.eps)
        delta = real - fake
        # dT / (lambda d) lies in [-1, 1] at the optimal critic: a health gauge
        return ({"d_loss": qp_critic_loss(delta, distance, self.lam).mean()},
                {"d_real": real.mean(), "d_fake": fake.mean(), "qp_ratio": (delta / (self.lam * distance)).mean()})
