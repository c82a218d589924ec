"""The classic GAN family as per-sample loss functions of logits, and the objectives built from them.
Formulas: docs/algorithms.md sections 1, 3, 4 (critic convention: D is high on real data)."""
from __future__ import annotations

import dataclasses
import functools

import torch
import torch.nn.functional as F
from torch import nn

from ..domains import AT_LEAST_0
from ..errors import ConfigError, DataError
from ..nn.conditional import WithLabels, append_class, split_class
from ..nn.spectral import one_forward_is_exact
from .base import OBJECTIVES, REAL_SIGN, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, frozen, with_total
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
    """A generator G and a critic D trained in two phases by a pair of per-sample losses. With a class-conditional
    G (model.G.options.conditional) and a labelled D (model.D.options.conditional: projection or acgan) it is a
    conditional GAN: z carries the class (nn/conditional.py), D reads it, ACGAN adds class_weight x cross-entropy."""

    networks = {"G": NetworkSlot("generator"), "D": NetworkSlot("discriminator")}
    capabilities = Capabilities(critic="D", penalties=True, refine="latent", single_loss=True, real_sign=True)
    option_domains = {"class_weight": AT_LEAST_0}  # read by registry.check_options
    boundary = 0.0  # the score between "real" and "fake" (the logit's 0); REAL_SIGN counts real scores above it

    def __init__(self, networks, z_dim, penalties=(), class_weight: float = 1.0):
        super().__init__(networks, z_dim, penalties)
        self.num_classes, self.labels = conditioning(networks["G"], networks["D"])
        self.class_weight = class_weight

    @staticmethod
    def d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:  # overridden per objective
        return minimax_d_loss(real, fake)

    @staticmethod
    def g_loss(fake: torch.Tensor) -> torch.Tensor:  # overridden per objective
        return nonsaturating_g_loss(fake)

    def phases(self) -> list[Phase]:
        return [Phase("D", ("D",), "critic", self.critic_loss),
                Phase("G", ("G",), "generator", self.generator_loss, uses_real=False)]

    @functools.cached_property
    def one_critic_forward(self) -> bool:
        """Decided at the first critic step (constraints are attached by then), not walked every step."""
        return one_forward_is_exact(self.nets["D"])

    def critic_terms(self, batch: Batch, x_fake: torch.Tensor, real: torch.Tensor, fake: torch.Tensor):
        """The critic's loss terms from its scores [N] on real and (stopped) fake samples, and diagnostics."""
        return {"d_loss": self.d_loss(real, fake).mean()}, {"d_real": real.mean(), "d_fake": fake.mean(),
                                                            **self.real_sign(real)}

    def real_sign(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """{REAL_SIGN: E[sign(D(x_real) - boundary)]} where the scores have a boundary (capabilities.real_sign)."""
        return {REAL_SIGN: (real - self.boundary).sign().mean()} if self.capabilities.real_sign else {}

    def critic_loss(self, batch: Batch) -> Losses:
        G, D = self.nets["G"], self.nets["D"]
        with torch.no_grad():
            x_fake = G(batch.z)
        y_real, y_fake = self.real_labels(batch), self.fake_labels(batch.z)
        (real, real_classes), (fake, fake_classes) = self.scores(
            [batch.x, x_fake], [y_real, y_fake], self.one_critic_forward)  # [N] each
        terms, diagnostics = self.critic_terms(batch, x_fake, real, fake)
        terms.update(self.penalty_terms(labelled(D, y_real), batch.x, x_fake, batch.phase_step))
        if real_classes is not None:  # ACGAN: D names the class of real and generated samples
            terms["class_loss"] = self.class_weight * (F.cross_entropy(real_classes, y_real)
                                                       + F.cross_entropy(fake_classes, y_fake))
        return with_total(terms, **diagnostics)

    def generator_loss(self, batch: Batch) -> Losses:
        y_fake = self.fake_labels(batch.z)
        ((fake, fake_classes),) = self.scores([self.nets["G"](batch.z)], [y_fake], False)
        terms = {"g_loss": self.g_loss(fake).mean()}
        if fake_classes is not None:  # ACGAN: G makes samples D names as their class
            terms["g_class_loss"] = self.class_weight * F.cross_entropy(fake_classes, y_fake)
        return with_total(terms)

    def single_loss_phase(self) -> Phase:
        return Phase("D+G", ("D", "G"), "critic", self.single_loss)

    def single_loss(self, batch: Batch) -> Losses:
        """Both phases in one scalar by stop-gradients (docs/algorithms.md section 10; Su, kexue.fm/archives/6387):
        L = L_D(D, sg G) + L_G(sg D, G), so one backward gives D the critic phase's gradient and G the generator
        phase's. x_f = G(z) is computed once; sg G is x_f detached, sg D is D with its parameters detached (the
        frozen copy of section 10, without copying). Su's form L_D + [g(D(x_f)) - g(D(sg x_f))] gives the same
        gradients but also computes D's parameter gradient on x_f only to cancel it. Forwards: 1 G and D on
        real + fake, then D on x_f, against 2 G and 3 D alternating."""
        D = self.nets["D"]
        x_fake = self.nets["G"](batch.z)
        x_stopped = x_fake.detach()
        y_real, y_fake = self.real_labels(batch), self.fake_labels(batch.z)
        (real, real_classes), (stopped, stopped_classes) = self.scores(
            [batch.x, x_stopped], [y_real, y_fake], True)  # one forward: the schedule admits no BatchNorm in D
        terms, diagnostics = self.critic_terms(batch, x_stopped, real, stopped)
        terms.update(self.penalty_terms(labelled(D, y_real), batch.x, x_stopped, batch.phase_step))
        ((fake, fake_classes),) = self.scores([x_fake], [y_fake], False, frozen(D))
        terms["g_loss"] = self.g_loss(fake).mean()
        if real_classes is not None:
            terms["class_loss"] = self.class_weight * (F.cross_entropy(real_classes, y_real)
                                                       + F.cross_entropy(stopped_classes, y_fake))
            terms["g_class_loss"] = self.class_weight * F.cross_entropy(fake_classes, y_fake)
        return with_total(terms, **diagnostics)

    # --- class labels (conditional GANs) ----------------------------------------------------------------

    def scores(self, xs: list[torch.Tensor], ys: list, together: bool,
               D=None) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """(D's score [N], ACGAN class logits [N, K] or None) of each batch in xs with labels ys; one forward of
        all of them when `together` (no batch statistics in D), else one each. D: nets["D"] unless given."""
        D = self.nets["D"] if D is None else D
        call = {"acgan": lambda x, y: D(x, with_classes=True), "projection": lambda x, y: (D(x, y), None)}.get(
            self.labels, lambda x, y: (D(x), None))
        if not together or len(xs) == 1:
            return [call(x, y) for x, y in zip(xs, ys)]
        score, classes = call(torch.cat(xs), torch.cat(ys) if self.num_classes else None)
        sizes = [len(x) for x in xs]
        return list(zip(score.split(sizes), classes.split(sizes) if classes is not None else [None] * len(xs)))

    def real_labels(self, batch: Batch) -> torch.Tensor | None:
        if not self.num_classes:
            return None
        if batch.y is None:
            raise DataError("a class-conditional GAN needs labelled data; this dataset gives no labels")
        return batch.y

    def fake_labels(self, z: torch.Tensor) -> torch.Tensor | None:
        return split_class(z)[1] if self.num_classes else None

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """z ~ N(0, I) [n, z_dim]; conditional: [n, z_dim + 1] with classes in equal blocks 0, 0, ..., K-1 in
        the last column (n = 10 K gives a grid of 10 per row one class per row, and balanced metrics)."""
        noise = torch.randn(n, self.z_dim, generator=generator)
        if not self.num_classes:
            return noise.to(device)
        return append_class(noise, torch.arange(n) * self.num_classes // n).to(device)

    def with_class(self, z: torch.Tensor, classes) -> torch.Tensor:
        if not self.num_classes:
            raise ConfigError("this run is not class-conditional (model.G.options.conditional is off)")
        if not 0 <= int(classes) < self.num_classes:
            raise ConfigError(f"class {classes}: this run's classes are 0 to {self.num_classes - 1}")
        return append_class(z[:, :-1], torch.full((len(z),), int(classes)))

    def requested_classes(self, z: torch.Tensor) -> torch.Tensor | None:
        return self.fake_labels(z)


def conditioning(G: nn.Module, D: nn.Module) -> tuple[int, str]:
    """(number of classes, how D reads labels); a conditional G with an unconditional D, or the reverse, is an error."""
    num_classes, labels = getattr(G, "num_classes", 0), getattr(D, "conditional", "none")
    if num_classes and labels == "none":
        raise ConfigError("a class-conditional G needs a D that reads labels: set model.D.options.conditional "
                          "to projection or acgan")
    if labels != "none" and not num_classes:
        raise ConfigError(f"model.D.options.conditional={labels} needs a class-conditional G: "
                          "set model.G.options.conditional=true")
    return num_classes, labels


def labelled(D: nn.Module, y: torch.Tensor | None) -> nn.Module:
    """D with the labels fixed, as penalties see it (D itself when it reads none)."""
    return WithLabels(D, y) if getattr(D, "conditional", "none") == "projection" else D


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
    # a critic's scores are defined up to a constant: their sign says nothing of real or fake
    capabilities = dataclasses.replace(AdversarialObjective.capabilities, real_sign=False)


@OBJECTIVES.register("wgan-gp")
class WGANGP(WGAN):
    """WGAN with the two-sided gradient penalty on random interpolates (Gulrajani et al. 2017)."""
    option_domains = {"gp_weight": AT_LEAST_0, "class_weight": AT_LEAST_0}  # read by registry.check_options

    def __init__(self, networks, z_dim, penalties=(), gp_weight: float = 10.0, class_weight: float = 1.0):
        super().__init__(networks, z_dim, [GradientPenalty(gp_weight), *penalties], class_weight)


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
    boundary = 0.5  # halfway between the targets 0 (fake) and 1 (real)
