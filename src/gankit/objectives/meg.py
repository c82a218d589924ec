"""MEG, maximum-entropy generators for energy-based models (Kumar et al. 2019, arXiv 1901.08508; Su's energy
view, kexue.fm/archives/6316, /6331; docs/algorithms.md section 9). Energy convention: U is LOW on real data.

U:     min E_p U(x_r) - E_z U(sg G(z)) + lambda E_p |grad_x U(x_r)|^2   (per-sample norm over all of x)
G, T:  min E_z U(G(z)) + L_MI,  L_MI = BCE(T(G(z), z), 1) and BCE(T(G(z), z_bar), 0) averaged over 2B
The entropy term H(G(Z)) is replaced by the mutual information I(X; Z), estimated by the JSD bound of Deep
InfoMax with the statistics network T (objective `meg`), or by the InfoGAN bound |z - E(G(z))|^2 with an
encoder E (objective `meg-infogan`, Su's alternative)."""
from __future__ import annotations

from abc import abstractmethod

import torch
import torch.nn.functional as F
from torch import nn

from ..domains import AT_LEAST_0
from ..nn.activations import constant_slopes
from ..numerics import penalty_precision
from .base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, with_total
from .energy import EnergyCritic


def score_penalty(U: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """|grad_x U(x)|^2 per sample, the norm over all non-batch axes (the MEG code's norm over dim 1 only is
    a per-pixel channel norm for images; docs/algorithms.md section 9). [N]"""
    x = x.detach().requires_grad_(True)
    with penalty_precision(x):  # fp32 under fp16 autocast: an unscaled inner gradient would underflow
        with constant_slopes():  # relu'' = 0: spares the penalty's backward a pass of zeros through U
            score = U(x).sum()
        (grad,) = torch.autograd.grad(score, x, create_graph=True)
        return grad.flatten(1).pow(2).sum(1)


def jsd_mi_loss(T: nn.Module, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Deep InfoMax's JSD estimator as a loss: pairs (G(z), z) labelled 1, (G(z), z_bar) with z_bar a batch
    permutation labelled 0, BCE with logits averaged over the 2B pairs (as the MEG code)."""
    z_bar = z[torch.randperm(len(z), device=z.device)]
    logits = T(torch.cat([x, x]), torch.cat([z, z_bar]))  # [2B]
    labels = torch.cat([torch.ones(len(z)), torch.zeros(len(z))]).to(logits)
    return F.binary_cross_entropy_with_logits(logits, labels)


class EnergyWithGenerator(EnergyCritic, Objective):
    """U trained against G's samples with the score penalty; G trained on U plus an entropy surrogate."""

    networks = {"U": NetworkSlot("discriminator"), "G": NetworkSlot("generator")}
    capabilities = Capabilities(penalties=True, refine="latent")
    option_domains = {"score_weight": AT_LEAST_0, "mi_weight": AT_LEAST_0}  # read by registry.check_options

    def __init__(self, networks, z_dim, penalties=(), score_weight: float = 0.1, mi_weight: float = 1.0):
        super().__init__(networks, z_dim, penalties)
        self.score_weight, self.mi_weight = score_weight, mi_weight

    def energy_loss(self, batch: Batch) -> Losses:
        U = self.nets["U"]
        with torch.no_grad():
            x_fake = self.nets["G"](batch.z)
        e_real, e_fake = U(batch.x), U(x_fake)  # [N], [N]
        terms = {"energy_loss": e_real.mean() - e_fake.mean(),
                 "score": self.score_weight * score_penalty(U, batch.x).mean()}
        terms.update(self.penalty_terms(U, batch.x, x_fake, batch.phase_step))
        return with_total(terms, energy_real=e_real.mean(), energy_fake=e_fake.mean())

    @abstractmethod
    def entropy_loss(self, x_fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The estimate of -I(x; z) of the generator's pairs that G lowers (its entropy surrogate). [scalar]"""

    def generator_loss(self, batch: Batch) -> Losses:
        x_fake = self.nets["G"](batch.z)
        mi = self.entropy_loss(x_fake, batch.z)
        return with_total({"g_loss": self.nets["U"](x_fake).mean(), "mi_loss": self.mi_weight * mi})


@OBJECTIVES.register("meg")
class MEG(EnergyWithGenerator):
    """MEG with the JSD mutual-information estimator and a statistics network T(x, z)."""

    networks = {"U": NetworkSlot("discriminator"), "G": NetworkSlot("generator"), "T": NetworkSlot("joint")}

    def phases(self) -> list[Phase]:
        return [Phase("U", ("U",), "critic", self.energy_loss),
                Phase("GT", ("G", "T"), "generator", self.generator_loss, uses_real=False)]

    def entropy_loss(self, x_fake, z):
        return jsd_mi_loss(self.nets["T"], x_fake, z)


@OBJECTIVES.register("meg-infogan")
class MEGInfoGAN(EnergyWithGenerator):
    """MEG with the InfoGAN bound instead: a Gaussian posterior N(z; E(x), s^2) gives |z - E(G(z))|^2."""

    networks = {"U": NetworkSlot("discriminator"), "G": NetworkSlot("generator"), "E": NetworkSlot("encoder")}

    def phases(self) -> list[Phase]:
        return [Phase("U", ("U",), "critic", self.energy_loss),
                Phase("GE", ("G", "E"), "generator", self.generator_loss, uses_real=False)]

    def entropy_loss(self, x_fake, z):
        return (z - self.nets["E"](x_fake)).pow(2).sum(1).mean()
