"""Penalties on the critic: pure functions of a network and inputs, each behind a class that carries its
weight and its lazy interval. Formulas: docs/algorithms.md sections 4 and 5 (critic convention, D high on real)."""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import nn

from ..domains import AT_LEAST_0, POSITIVE
from ..errors import ConfigError
from ..nn.activations import constant_slopes
from ..registry import Registry
from ..numerics import penalty_precision

PENALTIES: Registry = Registry("penalties")

POINTS = ("real", "fake", "interpolates", "real+fake")


# --- pure functions ---------------------------------------------------------------------------------

def input_gradient_norm(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """||grad_x D(x)|| per sample [N], over all non-batch axes, differentiable (create_graph)."""
    with penalty_precision(x):  # fp32 under fp16 autocast: an unscaled inner gradient would underflow
        x = x.detach()
        x = (x.float() if x.dtype in (torch.float16, torch.bfloat16) else x).requires_grad_(True)
        with constant_slopes():  # relu'' = 0: spares the penalty's backward a pass of zeros through D
            score = D(x).sum()
        (grad,) = torch.autograd.grad(score, x, create_graph=True, allow_unused=True)
    if grad is None:  # a critic that ignores its input has zero gradient, not an error
        return torch.zeros(len(x), device=x.device)
    return grad.flatten(1).norm(dim=1)


def interpolate(x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
    """eps x_r + (1 - eps) x_f with eps ~ U[0, 1] per sample, broadcast over the other axes."""
    eps = torch.rand(len(x_real), *([1] * (x_real.dim() - 1)), device=x_real.device)
    return eps * x_real + (1.0 - eps) * x_fake.detach()


def gradient_norm_at(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, points: str) -> torch.Tensor:
    """||grad D|| at real samples, fakes or random interpolates [N], or at both real and fake samples
    ("real+fake", [2N], so that a mean over it averages the two sets)."""
    if points == "real":
        return input_gradient_norm(D, x_real)
    if points == "fake":
        return input_gradient_norm(D, x_fake)
    if points == "interpolates":
        return input_gradient_norm(D, interpolate(x_real, x_fake))
    if points == "real+fake":
        return torch.cat([input_gradient_norm(D, x_real), input_gradient_norm(D, x_fake)])
    raise ConfigError(f"penalty points {points!r}: choose from {', '.join(POINTS)}")


def gradient_penalty(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, center: float = 1.0) -> torch.Tensor:
    """(||grad D(x_hat)|| - center)^2 on random interpolates (Gulrajani et al. 2017). [N]"""
    return (input_gradient_norm(D, interpolate(x_real, x_fake)) - center) ** 2


def one_sided_gradient_penalty(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
    """max(0, ||grad D(x_hat)|| - 1)^2 on random interpolates (Gulrajani et al. 2017, discussed; Su post 6051). [N]"""
    return F.relu(input_gradient_norm(D, interpolate(x_real, x_fake)) - 1.0) ** 2


PERTURBATIONS = ("interpolate", "offset")
NOISES = ("uniform", "symmetric")


def dragan_perturb(x_real: torch.Tensor, scale: float, form: str = "interpolate", noise: str = "uniform") -> torch.Tensor:
    """DRAGAN's penalty points (Kodali et al. 2017, the authors' DRAGAN.ipynb): x_p = x_r + scale * std(x_r) * u
    with u ~ U[0, 1] per entry (std over the whole batch), then x_r + alpha (x_p - x_r) with alpha ~ U[0, 1] per
    sample ("interpolate"); "offset" returns x_p itself (twice the mean distance). noise "symmetric" draws
    u ~ U[-1, 1], the all-directions perturbation the authors' README says they meant."""
    u = torch.rand_like(x_real)
    if noise == "symmetric":
        u = 2.0 * u - 1.0
    x_p = x_real + scale * x_real.std() * u
    if form == "offset":
        return x_p
    alpha = torch.rand(len(x_real), *([1] * (x_real.dim() - 1)), device=x_real.device)
    return x_real + alpha * (x_p - x_real)


def spectral_norms(module: nn.Module) -> list[torch.Tensor]:
    """sigma_max of every linear, conv and embedding weight reshaped to (out, rest), differentiable."""
    out = []
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding)):
            out.append(torch.linalg.matrix_norm(m.weight.flatten(1), 2))
        elif isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            out.append(torch.linalg.matrix_norm(m.weight.transpose(0, 1).flatten(1), 2))
    return out


# --- configurable penalties -------------------------------------------------------------------------

class Penalty(ABC):
    """A weighted penalty, optionally lazy: applied on every `every`-th critic step with its weight
    multiplied by `every`, so its expected gradient is unchanged (Karras et al. 2020, StyleGAN2)."""

    name = ""

    def __init__(self, weight: float, every: int = 1):
        if every < 1:
            raise ConfigError(f"penalty {self.name}: every must be >= 1, got {every}")
        self.weight, self.every = weight, every

    def applies(self, phase_step: int) -> bool:
        return phase_step % self.every == 0

    def term(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        """The scalar added to the critic loss on a step where the penalty applies."""
        return (self.weight * self.every) * self(D, x_real, x_fake).mean()

    @abstractmethod
    def __call__(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        """Per-sample penalty values [N] (or one scalar for a penalty on the weights)."""


@PENALTIES.register("gp")
class GradientPenalty(Penalty):
    """Two-sided WGAN-GP penalty on interpolates, weight lambda (10 in the paper, 0.1 for the 2-D toys)."""

    name = "gp"
    option_domains = {"center": AT_LEAST_0}  # read by registry.check_options

    def __init__(self, weight: float = 10.0, every: int = 1, center: float = 1.0):
        super().__init__(weight, every)
        self.center = center

    def __call__(self, D, x_real, x_fake):
        return gradient_penalty(D, x_real, x_fake, self.center)


@PENALTIES.register("gp-onesided")
class OneSidedGradientPenalty(Penalty):
    """One-sided penalty max(0, ||grad D(x_hat)|| - 1)^2 on interpolates: only slopes above 1 cost."""

    name = "gp_onesided"

    def __call__(self, D, x_real, x_fake):
        return one_sided_gradient_penalty(D, x_real, x_fake)


@PENALTIES.register("r1")
class R1(Penalty):
    """R1 = (gamma / 2) ||grad D(x_r)||^2 on real data, weight gamma (eq. 9 of Mescheder et al. 2018). The
    authors' GAN_stability code multiplies E ||grad||^2 by its `reg_param` without the 1/2: their reg_param r is
    weight 2 r here (reg_param 10 -> weight 20)."""

    name = "r1"

    def __call__(self, D, x_real, x_fake):
        return 0.5 * input_gradient_norm(D, x_real) ** 2


@PENALTIES.register("r2")
class R2(Penalty):
    """R2 = (gamma / 2) ||grad D(x_f)||^2 on generated data, weight gamma (Mescheder et al. 2018); as for R1,
    GAN_stability's reg_param r is weight 2 r here."""

    name = "r2"

    def __call__(self, D, x_real, x_fake):
        return 0.5 * input_gradient_norm(D, x_fake.detach()) ** 2


@PENALTIES.register("zero-centred")
class ZeroCentredPenalty(Penalty):
    """lambda ||grad U||^2 at real samples: real data at the bottom of the critic's energy pits, the
    penalty of Su's energy view (kexue.fm/archives/6316, /6583); `points` moves it elsewhere."""

    name = "zero_centred"

    def __init__(self, weight: float = 10.0, every: int = 1, points: str = "real"):
        super().__init__(weight, every)
        if points not in POINTS:
            raise ConfigError(f"penalty zero-centred: points {points!r}; choose from {', '.join(POINTS)}")
        self.points = points

    def __call__(self, D, x_real, x_fake):
        return gradient_norm_at(D, x_real, x_fake.detach(), self.points) ** 2


@PENALTIES.register("dragan")
class DRAGAN(Penalty):
    """(||grad D(x_hat)|| - k)^2 at x_hat = x_r + alpha (x_p - x_r), x_p = x_r + scale * std(x_r) * U[0, 1]
    (Kodali et al. 2017, as their code perturbs). `scale` is the authors' c, the size of the local region:
    their README asks for it to be set from the spread of the modes, so that perturbations leave the data
    manifold; 0.5 is their MNIST value. `perturbation: offset` penalizes at x_p itself, `noise: symmetric`
    draws U[-1, 1]."""

    name = "dragan"
    option_domains = {"k": AT_LEAST_0, "scale": AT_LEAST_0}  # read by registry.check_options

    def __init__(self, weight: float = 10.0, every: int = 1, k: float = 1.0, scale: float = 0.5,
                 perturbation: str = "interpolate", noise: str = "uniform"):
        super().__init__(weight, every)
        if perturbation not in PERTURBATIONS:
            raise ConfigError(f"penalty dragan: perturbation {perturbation!r}; choose from {', '.join(PERTURBATIONS)}")
        if noise not in NOISES:
            raise ConfigError(f"penalty dragan: noise {noise!r}; choose from {', '.join(NOISES)}")
        self.k, self.scale, self.perturbation, self.noise = k, scale, perturbation, noise

    def __call__(self, D, x_real, x_fake):
        x_hat = dragan_perturb(x_real, self.scale, self.perturbation, self.noise)
        return (input_gradient_norm(D, x_hat) - self.k) ** 2


@PENALTIES.register("wgan-div")
class WGANDiv(Penalty):
    """k ||grad f(x)||^p with k = 2 (the weight), p = 6 on interpolates (Wu et al. 2018), or averaged over
    real and fake samples as in Su's wgan_div code (points=real+fake)."""

    name = "wgan_div"
    option_domains = {"p": POSITIVE}  # read by registry.check_options

    def __init__(self, weight: float = 2.0, every: int = 1, p: float = 6.0, points: str = "interpolates"):
        super().__init__(weight, every)
        if points not in POINTS:
            raise ConfigError(f"penalty wgan-div: points {points!r}; choose from {', '.join(POINTS)}")
        self.p, self.points = p, points

    def __call__(self, D, x_real, x_fake):
        return gradient_norm_at(D, x_real, x_fake.detach(), self.points) ** self.p


@PENALTIES.register("sn-reg")
class SpectralNormRegularization(Penalty):
    """(lambda / 2) sum_l sigma(W_l)^2 over D's layers (Yoshida & Miyato 2017), weight lambda ~ 0.01-0.1:
    a Lipschitz-aware replacement for weight decay. sigma comes from an exact SVD rather than the paper's
    persistent power iteration: the same gradient lambda sigma u v^T, and no state to checkpoint."""

    name = "sn_reg"

    def __init__(self, weight: float = 0.01, every: int = 1):
        super().__init__(weight, every)

    def __call__(self, D, x_real, x_fake):
        return 0.5 * sum(s**2 for s in spectral_norms(D))
