"""The classic GAN family as per-sample loss functions of logits, and the objectives built from them.
Formulas: algorithms.md sections 1, 3, 4 (critic convention: D is high on real data)."""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from ..nn.spectral import critic_outputs, one_forward_is_exact
from .base import OBJECTIVES, Batch, Losses, Objective, Phase, with_total
from .penalties import GradientPenalty


def minimax_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """BCE with real labelled 1 and fake 0 (Goodfellow et al. 2014). Per-sample losses [N]."""
    return F.softplus(-real) + F.softplus(fake)


def minimax_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """Saturating G loss log(1 - D(G(z))) = -softplus(l) (Goodfellow et al. 2014). [N]"""
    return -F.softplus(fake)


def nonsaturating_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss -log D(G(z)) = softplus(-l) (Goodfellow et al. 2014). [N]"""
    return F.softplus(-fake)


def wgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic loss f(x_f) - f(x_r) (Arjovsky et al. 2017). [N]"""
    return fake - real


def wgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """Generator loss -f(G(z)) (Arjovsky et al. 2017); also hinge's G loss. [N]"""
    return -fake


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss for D (Lim & Ye 2017): relu(1 - D(x_r)) + relu(1 + D(x_f)). [N]"""
    return F.relu(1.0 - real) + F.relu(1.0 + fake)


def lsgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least-squares D loss with targets 1 / 0 (Mao et al. 2017): (D(x_r) - 1)^2 / 2 + D(x_f)^2 / 2. [N]"""
    return 0.5 * (real - 1.0) ** 2 + 0.5 * fake**2


def lsgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    """Least-squares G loss (Mao et al. 2017): (D(G(z)) - 1)^2 / 2. [N]"""
    return 0.5 * (fake - 1.0) ** 2


class AdversarialObjective(Objective):
    """A generator G and a critic D trained in two phases by a pair of per-sample losses."""

    needs = {"G": "generator", "D": "discriminator"}

    @staticmethod
    def d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:  # overridden per objective
        return minimax_d_loss(real, fake)

    @staticmethod
    def g_loss(fake: torch.Tensor) -> torch.Tensor:  # overridden per objective
        return nonsaturating_g_loss(fake)

    def phases(self) -> list[Phase]:
        return [Phase("D", ("D",), "critic", self.critic_loss),
                Phase("G", ("G",), "generator", self.generator_loss)]

    @functools.cached_property
    def one_critic_forward(self) -> bool:
        """Decided at the first critic step (constraints are attached by then), not walked every step."""
        return one_forward_is_exact(self.nets["D"])

    def critic_loss(self, batch: Batch) -> Losses:
        G, D = self.nets["G"], self.nets["D"]
        with torch.no_grad():
            x_fake = G(batch.z)
        real, fake = critic_outputs(D, batch.x, x_fake, self.one_critic_forward)  # [N], [N]
        terms = {"d_loss": self.d_loss(real, fake).mean()}
        terms.update(self.penalty_terms(D, batch.x, x_fake, batch.phase_step))
        return with_total(terms, d_real=real.mean(), d_fake=fake.mean())

    def generator_loss(self, batch: Batch) -> Losses:
        fake = self.nets["D"](self.nets["G"](batch.z))
        return with_total({"g_loss": self.g_loss(fake).mean()})

    def single_loss_phase(self) -> Phase:
        return Phase("D+G", ("D", "G"), "critic", self.single_loss)

    def single_loss(self, batch: Batch) -> Losses:
        """Both phases in one scalar (Su, kexue.fm/archives/6387; algorithms.md section 10):
        L = L_D(x_r, sg x_f) + penalties + [g(D(x_f)) - g(D(sg x_f))] with x_f = G(z). The bracket is 0 in value
        and its D-gradients cancel, so one backward gives D the critic phase's gradient and G the generator
        phase's: 1 G and 3 D forwards (here one D forward of the three batches, since the simultaneous schedule
        admits no batch statistics in D) instead of 2 G and 3 D."""
        G, D = self.nets["G"], self.nets["D"]
        x_fake = G(batch.z)
        x_stopped = x_fake.detach()
        n = len(batch.x)
        scores = D(torch.cat([batch.x, x_stopped, x_fake]))  # [3N]
        real, fake_stopped, fake = scores[:n], scores[n:2 * n], scores[2 * n:]
        terms = {"d_loss": self.d_loss(real, fake_stopped).mean()}
        terms.update(self.penalty_terms(D, batch.x, x_stopped, batch.phase_step))
        g_loss = self.g_loss(fake).mean()
        terms["g_shift"] = g_loss - self.g_loss(fake_stopped).mean()  # 0 in value; G's gradient only
        return with_total(terms, d_real=real.mean(), d_fake=fake_stopped.mean(), g_loss=g_loss)


@OBJECTIVES.register("minimax")
class MinimaxGAN(AdversarialObjective):
    """Original GAN with the saturating generator loss (Goodfellow et al. 2014)."""

    g_loss = staticmethod(minimax_g_loss)


@OBJECTIVES.register("ns")
class NonSaturatingGAN(AdversarialObjective):
    """Original GAN with the non-saturating generator loss (Goodfellow et al. 2014)."""

    g_loss = staticmethod(nonsaturating_g_loss)


@OBJECTIVES.register("wgan")
class WGAN(AdversarialObjective):
    """Wasserstein GAN (Arjovsky et al. 2017); pair with the weight-clip constraint or a penalty."""

    d_loss = staticmethod(wgan_d_loss)
    g_loss = staticmethod(wgan_g_loss)


@OBJECTIVES.register("wgan-gp")
class WGANGP(WGAN):
    """WGAN with the two-sided gradient penalty on random interpolates (Gulrajani et al. 2017)."""

    def __init__(self, networks, penalties, z_dim, gp_weight: float = 10.0):
        super().__init__(networks, [GradientPenalty(gp_weight), *penalties], z_dim)


@OBJECTIVES.register("hinge")
class HingeGAN(AdversarialObjective):
    """Hinge loss for D, -D(G(z)) for G (Lim & Ye 2017; Miyato et al. 2018)."""

    d_loss = staticmethod(hinge_d_loss)
    g_loss = staticmethod(wgan_g_loss)


@OBJECTIVES.register("lsgan")
class LeastSquaresGAN(AdversarialObjective):
    """Least-squares GAN with targets 0 / 1 (Mao et al. 2017)."""

    d_loss = staticmethod(lsgan_d_loss)
    g_loss = staticmethod(lsgan_g_loss)
