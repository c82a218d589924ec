"""GANs that learn an encoder: BiGAN / ALI, BiGAN-QP (docs/algorithms.md section 7) and O-GAN (section 8)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..domains import AT_LEAST_0, POSITIVE, PROBABILITY
from ..nn.activations import constant_slopes
from ..numerics import normalize, pearson
from .base import OBJECTIVES, REAL_SIGN, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, evaluating, with_total
from .qp import qp_critic_loss


class JointObjective(Objective):
    """Shared by the BiGANs: a generator G, an encoder E, a joint critic D(x, z); phase D trains D, phase
    GE trains G and E together."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("encoder"), "D": NetworkSlot("joint")}
    capabilities = Capabilities(encoder="E", critic="D")  # penalties act on a D(x); this D takes (x, z)

    def phases(self) -> list[Phase]:
        return [Phase("D", ("D",), "critic", self.critic_loss), Phase("GE", ("G", "E"), "generator", self.generator_loss)]

    def posterior(self, x: torch.Tensor) -> torch.Tensor:
        """The code paired with real x in the critic: E(x) (a draw from q(z|x) for ALI)."""
        return self.nets["E"](x)

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.encoder(E)(x)

    def critic_module(self):
        return None  # D takes (x, z); there is no field over x alone to inspect

    def critic_field(self, nets):
        return None  # D(x, z) scores pairs; D(x, E(x)) would make refinement follow the encoder, not the data

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """D(x, E(x)): the critic along the encoder's codes, drawn as the landscape of 2-D runs."""
        with evaluating(self.nets["D"], self.nets["E"]):
            return self.nets["D"](x, self.encode(x))

    def pairs(self, batch: Batch, grad: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(D(x, E(x)), D(G(z), z), E(x), G(z)); G and E run without a graph in the critic phase."""
        with torch.set_grad_enabled(grad):
            z_real, x_fake = self.posterior(batch.x), self.nets["G"](batch.z)
        D = self.nets["D"]
        return D(batch.x, z_real), D(x_fake, batch.z), z_real, x_fake


@OBJECTIVES.register("bigan")
class BiGAN(JointObjective):
    """BiGAN (Donahue et al. 2016): D tells (x, E(x)) from (G(z), z) with the GAN loss; G and E take the
    non-saturating label swap. At the optimum E = G^-1. `r1` > 0 adds R1 on the real pairs,
    (r1 / 2) E ||grad_(x, z) D(x, E(x))||^2 (Mescheder et al. 2018's eq. 9 over both inputs of the joint critic)."""
    capabilities = Capabilities(encoder="E", critic="D", real_sign=True)  # D's score is a logit
    option_domains = {"r1": AT_LEAST_0}  # read by registry.check_options

    def __init__(self, networks, z_dim, r1: float = 0.0):
        super().__init__(networks, z_dim)
        self.r1 = r1

    def critic_loss(self, batch: Batch) -> Losses:
        real, fake, z_real, _ = self.pairs(batch, grad=False)
        terms = {"d_loss": (F.softplus(-real) + F.softplus(fake)).mean()}
        if self.r1 > 0:
            terms["r1"] = 0.5 * self.r1 * joint_gradient_norm2(self.nets["D"], batch.x, z_real).mean()
        return with_total(terms, d_real=real.mean(), d_fake=fake.mean(), **{REAL_SIGN: real.sign().mean()})

    def generator_loss(self, batch: Batch) -> Losses:
        real, fake, _, _ = self.pairs(batch, grad=True)
        return with_total({"ge_loss": (F.softplus(real) + F.softplus(-fake)).mean()})


@OBJECTIVES.register("ali")
class ALI(BiGAN):
    """ALI (Dumoulin et al. 2016): BiGAN with a stochastic encoder q(z|x) = N(mu(x), sigma(x)^2), sampled with
    the reparameterisation z = mu + sigma eps in training; codes for reconstruction are the means."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("gaussian-encoder"), "D": NetworkSlot("joint")}

    def moments(self, x: torch.Tensor, E=None) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(E)(x).chunk(2, dim=1)
        return mu, log_var.clamp(-10.0, 10.0)

    def posterior(self, x: torch.Tensor) -> torch.Tensor:
        mu, log_var = self.moments(x)
        return mu + (0.5 * log_var).exp() * torch.randn_like(mu)

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.moments(x, E)[0]


@OBJECTIVES.register("bigan-qp")
class BiGANQP(JointObjective):
    """BiGAN-QP (Su, kexue.fm/archives/6214): the QP critic loss on dT = T(x, E(x)) - T(G(z), z) with
    d = mean_pix |x - G(z)| + mean |E(x) - z|; G and E minimise E[dT] plus two half-stopped reconstruction
    terms: beta_z mean (z - E(sg G(z)))^2 trains only E, beta_x mean (x - G(sg E(x)))^2 trains only G."""
    option_domains = {"lam": POSITIVE, "beta_z": AT_LEAST_0, "beta_x": AT_LEAST_0, "eps": POSITIVE}  # read by registry.check_options

    def __init__(self, networks, z_dim, lam: float = 10.0, beta_z: float = 2.0, beta_x: float = 3.0,
                 eps: float = 1e-8):
        super().__init__(networks, z_dim)
        self.lam, self.beta_z, self.beta_x, self.eps = lam, beta_z, beta_x, eps

    def critic_loss(self, batch: Batch) -> Losses:
        real, fake, z_real, x_fake = self.pairs(batch, grad=False)
        distance = (batch.x - x_fake).flatten(1).abs().mean(1) + (z_real - batch.z).abs().mean(1) + self.eps
        loss = qp_critic_loss(real - fake, distance, self.lam).mean()
        return with_total({"d_loss": loss}, d_real=real.mean(), d_fake=fake.mean())

    def generator_loss(self, batch: Batch) -> Losses:
        real, fake, z_real, x_fake = self.pairs(batch, grad=True)
        G, E = self.nets["G"], self.nets["E"]
        return with_total({"ge_loss": (real - fake).mean(),
                           "z_rec": self.beta_z * z_reconstruction(E, x_fake, batch.z),
                           "x_rec": self.beta_x * x_reconstruction(G, z_real, batch.x)})


def joint_gradient_norm2(D, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x, z)||^2 + ||grad_z D(x, z)||^2 per pair [N], differentiable in D's weights; x and z are
    detached first, so only D learns from it."""
    x, z = x.detach().requires_grad_(True), z.detach().requires_grad_(True)
    with constant_slopes():  # relu'' = 0: spares the penalty's backward a pass of zeros through D
        score = D(x, z).sum()
    gx, gz = torch.autograd.grad(score, (x, z), create_graph=True)
    return gx.flatten(1).pow(2).sum(1) + gz.pow(2).sum(1)


def z_reconstruction(E, x_fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """mean (z - E(sg(G(z))))^2: G(z) is detached, so only E learns from it."""
    return (z - E(x_fake.detach())).pow(2).mean()


def x_reconstruction(G, z_real: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """mean (x - G(sg(E(x))))^2: E(x) is detached, so only G learns from it."""
    return (x - G(z_real.detach())).pow(2).mean()


@OBJECTIVES.register("o-gan")
class OGAN(Objective):
    """O-GAN (Su 2019, arXiv 1903.01931), the author's GAN-QP instance in the energy convention: the encoder
    E: x -> R^{z_dim} is the discriminator through its mean s(x) = avg E(x) (low on real), and both networks
    also maximise the Pearson correlation rho(z, E(G(z))). Reconstruction: G(shrink * N(E(x)))."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("encoder")}
    capabilities = Capabilities(encoder="E", refine="latent")  # its own quadratic-potential term: no penalties
    option_domains = {"corr_weight": AT_LEAST_0, "qp_weight": AT_LEAST_0, "shrink": PROBABILITY, "eps": POSITIVE}  # read by registry.check_options

    def __init__(self, networks, z_dim, corr_weight: float = 0.5, qp_weight: float = 0.25,
                 shrink: float = 0.9, eps: float = 1e-8):
        super().__init__(networks, z_dim)
        self.corr_weight, self.qp_weight, self.shrink, self.eps = corr_weight, qp_weight, shrink, eps

    def phases(self) -> list[Phase]:
        return [Phase("E", ("E",), "critic", self.encoder_loss), Phase("G", ("G",), "generator", self.generator_loss, uses_real=False)]

    def encoder_loss(self, batch: Batch) -> Losses:
        """E: avg E(x_r) - avg E(x_f) + qp_weight t^2 / mean_pix (x_r - x_f)^2 - corr_weight rho(z, E(x_f))."""
        E = self.nets["E"]
        with torch.no_grad():
            x_fake = self.nets["G"](batch.z)
        e_real, e_fake = E(batch.x), E(x_fake)  # two forwards, as the author's code: BatchNorm sees each set alone
        t = e_real.mean(1) - e_fake.mean(1)
        qp = self.qp_weight * t**2 / ((batch.x - x_fake).flatten(1).pow(2).mean(1) + self.eps)
        rho = pearson(batch.z, e_fake)
        return with_total({"e_loss": t.mean(), "qp": qp.mean(), "corr": -self.corr_weight * rho.mean()},
                          rho=rho.mean())

    def generator_loss(self, batch: Batch) -> Losses:
        """G: avg E(G(z)) - corr_weight rho(z, E(G(z)))."""
        e_fake = self.nets["E"](self.nets["G"](batch.z))
        rho = pearson(batch.z, e_fake)
        return with_total({"g_loss": e_fake.mean(1).mean(), "corr": -self.corr_weight * rho.mean()}, rho=rho.mean())

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.shrink * normalize(self.encoder(E)(x))

    def critic_module(self):
        return None  # the critic is avg E(x), not a module of its own

    def critic_field(self, nets):
        return lambda x: -nets["E"](x).mean(1)  # -avg E(x), as critic_value

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-avg E(x): high on real, as every other critic gankit draws."""
        with evaluating(self.nets["E"]):
            return -self.nets["E"](x).mean(1)
