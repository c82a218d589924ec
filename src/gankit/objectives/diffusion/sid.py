"""SiD, score identity distillation (Zhou et al., ICML 2024, arXiv 2404.04057; docs/algorithms.md section 22): an
`edm` teacher f_phi distilled into a generator that samples in one step, x_g = G(sigma_init z), with a fake-score
network f_psi that follows the generator's own distribution. Neither phase reads real data."""
from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import nn

from ...data import DataSpec
from ...data.decode import notice
from ...domains import POSITIVE, Domain, integers
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, frozen, with_total
from .preconditioning import denoising_loss, per_sample, preconditioned
from .teacher import copy_teacher, read_teacher


def edm_sigma_at(t: torch.Tensor, sigma_min: float, sigma_max: float, rho: float) -> torch.Tensor:
    """sigma(t) = (sigma_max^(1/rho) + (1 - t)(sigma_min^(1/rho) - sigma_max^(1/rho)))^rho: t in [0, 1] on the EDM
    steps, 0 at sigma_min and 1 at sigma_max (the SiD code's generator_loss)."""
    low, high = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return (high + (1 - t) * (low - high)) ** rho


def sid_generator_loss(f_phi: torch.Tensor, f_psi: torch.Tensor, x_g: torch.Tensor, alpha: float) -> torch.Tensor:
    """(f_phi - f_psi)^T [(f_phi - x_g) - alpha (f_phi - f_psi)] / sg(mean |x_g - f_phi|) per sample [N], averaged
    over the dimensions (Zhou et al. 2024, eq. 22 with the code's weight)."""
    weight = (x_g - f_phi).detach().abs().flatten(1).mean(1).clamp_min(1e-5)  # [N]
    gap = f_phi - f_psi
    return (gap * ((f_phi - x_g) - alpha * gap)).flatten(1).mean(1) / weight


@OBJECTIVES.register("sid")
class SiD(Objective):
    """Per iteration a fake-score step, the EDM denoising loss of f_psi (network S) on sg(x_g), then a generator
    step on sid_generator_loss with f_phi (the teacher) and f_psi evaluated at x_g + sigma eps, sigma = sigma(t),
    t ~ U[0, t_max / 1000]. G and S start from the teacher's weights; G is a denoiser read at sigma_init."""

    networks = {"G": NetworkSlot("denoiser", default="mlp"), "S": NetworkSlot("denoiser", default="mlp")}
    capabilities = Capabilities()
    ema_networks = ("G",)
    option_domains = {"alpha": Domain("a finite number", lambda v: isinstance(v, (int, float)) and math.isfinite(v)),
                      "sigma_init": POSITIVE, "t_max": integers(1, 1000), "p_std": POSITIVE, "sigma_min": POSITIVE,
                      "sigma_max": POSITIVE, "rho": POSITIVE}

    def __init__(self, networks, z_dim, spec: DataSpec, teacher: str = "", alpha: float = 1.2,
                 sigma_init: float = 2.5, t_max: int = 800, p_mean: float = -1.2, p_std: float = 1.2,
                 sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0):
        super().__init__(networks, z_dim)
        on_meta = any(p.is_meta for p in networks["G"].parameters())
        found = read_teacher(teacher, spec, build=not on_meta)
        self.sigma_data, self.teacher_step = found.sigma_data, found.step
        if not on_meta:
            for name in ("G", "S"):
                copy_teacher(networks[name], found, name)
            self.teacher = found.F  # a submodule: it moves with the objective; no network, so never saved or stepped
            notice(f"sid: teacher {found.checkpoint} (step {found.step}, sigma_data {found.sigma_data:.4f})")
        self.shape, self.bounded = tuple(spec.shape), spec.bounded
        self.alpha, self.sigma_init, self.t_max = alpha, sigma_init, t_max
        self.p_mean, self.p_std = p_mean, p_std
        self.schedule = {"sigma_min": sigma_min, "sigma_max": sigma_max, "rho": rho}

    def phases(self) -> list[Phase]:
        return [Phase("S", ("S",), "critic", self.fake_score_loss, uses_real=False),
                Phase("G", ("G",), "generator", self.generator_loss, uses_real=False)]

    def generator_output(self, G, z: torch.Tensor) -> torch.Tensor:
        """x_g = D_G(sigma_init z; sigma_init), G preconditioned as the teacher is."""
        sigma = torch.full((len(z),), self.sigma_init, device=z.device)
        return preconditioned(G, self.sigma_data)(self.sigma_init * z, sigma)

    def fake_score_loss(self, batch: Batch) -> Losses:
        with torch.no_grad():
            x_g = self.generator_output(self.nets["G"], batch.z)
        loss = denoising_loss(preconditioned(self.nets["S"], self.sigma_data), x_g, self.sigma_data, self.p_mean,
                              self.p_std)
        return with_total({"fake_score_loss": loss.mean()})

    def generator_loss(self, batch: Batch) -> Losses:
        x_g = self.generator_output(self.nets["G"], batch.z)
        t = torch.rand(len(x_g), device=x_g.device) * self.t_max / 1000
        sigma = edm_sigma_at(t, **self.schedule)
        noisy = x_g + per_sample(sigma, x_g) * torch.randn_like(x_g)
        f_phi = preconditioned(frozen(self.teacher), self.sigma_data)(noisy, sigma)
        f_psi = preconditioned(frozen(self.nets["S"]), self.sigma_data)(noisy, sigma)  # gradient reaches G only
        loss = sid_generator_loss(f_phi, f_psi, x_g, self.alpha)
        return with_total({"sid_loss": loss.mean()}, score_gap=(f_phi - f_psi).detach().pow(2).mean())

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """N(0, I) shaped like the data [n, *shape]; the generator reads sigma_init times it."""
        return torch.randn(n, *self.shape, generator=generator).to(device)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        x = self.generator_output(nets["G"], z)
        return x.clamp(-1, 1) if self.bounded else x

    def describe_sampling(self) -> str:
        return f"one step of G at sigma_init {self.sigma_init}, 1 NFE"

    def sampling_nfe(self) -> int:
        return 1

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-|f_phi(x; sigma_data / 10) - x|^2 / 2, the teacher's landscape (2-D plots)."""
        sigma = torch.full((len(x),), self.sigma_data / 10, device=x.device)
        return -0.5 * (preconditioned(self.teacher, self.sigma_data)(x, sigma) - x).flatten(1).pow(2).sum(1)

    def extra_state(self) -> dict[str, torch.Tensor]:
        """The teacher's sigma_data and step, recorded in every checkpoint beside the config's teacher path."""
        return {"teacher_sigma_data": torch.tensor(self.sigma_data, dtype=torch.float64),
                "teacher_step": torch.tensor(self.teacher_step)}
