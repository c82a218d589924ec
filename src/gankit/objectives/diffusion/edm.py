"""EDM, a diffusion model as a preconditioned denoiser (Karras et al. 2022, arXiv 2206.00364; docs/algorithms.md
section 20): one network F trained by denoising at ln sigma ~ N(p_mean, p_std^2); samples solve the probability-flow
ODE (or the churned SDE) from sigma_max to 0 with the samplers of gankit.samplers.edm."""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import nn

from ...data import DataSpec
from ...data.decode import notice
from ...domains import AT_LEAST_0, POSITIVE, Domain, integers
from ...errors import ConfigError
from ...samplers import DIFFUSION_SAMPLERS, sampler_nfe
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, evaluating, with_total
from .preconditioning import denoising_loss, measured_sigma_data, preconditioned

SOLVERS = ("heun", "euler")


@OBJECTIVES.register("edm")
class EDM(Objective):
    """L = E lambda(sigma) |D(x + sigma n; sigma) - x|^2 (eq. 8) with D = c_skip x + c_out F(c_in x, c_noise);
    sigma_data is measured from `sigma_data_items` training items before the first step and kept in every checkpoint.
    Sampling: `solver` (heun or euler) on `sample_steps` EDM levels in [sigma_min, sigma_max] with rho, `churn`
    the stochastic sampler's S_churn; bounded data are clamped to [-1, 1] at the end."""

    networks = {"F": NetworkSlot("denoiser", default="mlp")}
    capabilities = Capabilities(sampling_options=("sample_steps", "solver", "churn"))
    ema_networks = ("F",)
    option_domains = {"p_std": POSITIVE, "sigma_data_items": integers(2, 1_000_000),
                      "sample_steps": integers(1, 10_000), "churn": AT_LEAST_0, "sigma_min": POSITIVE, "sigma_max": POSITIVE, "rho": POSITIVE,
                      "solver": Domain(f"one of {', '.join(SOLVERS)}", lambda v: v in SOLVERS)}

    def __init__(self, networks, z_dim, spec: DataSpec, p_mean: float = -1.2, p_std: float = 1.2,
                 sigma_data_items: int = 4096, sample_steps: int = 18, solver: str = "heun", churn: float = 0.0,
                 sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0):
        super().__init__(networks, z_dim)
        if not sigma_min < sigma_max:
            raise ConfigError(f"objective.options: sigma_min {sigma_min} must be below sigma_max {sigma_max}")
        self.shape, self.bounded = tuple(spec.shape), spec.bounded
        self.p_mean, self.p_std, self.sigma_data_items = p_mean, p_std, sigma_data_items
        self.sample_steps, self.solver, self.churn = sample_steps, solver, churn
        self.schedule = {"sigma_min": sigma_min, "sigma_max": sigma_max, "rho": rho}
        self.sigma_data = math.nan  # measured by measure_data, or restored from a checkpoint
        self.last_nfe = 0

    def phases(self) -> list[Phase]:
        return [Phase("F", ("F",), "generator", self.loss)]

    def measure_data(self, draw: Callable[[int], torch.Tensor]) -> None:
        x = draw(self.sigma_data_items)  # fewer when the dataset holds fewer
        self.sigma_data = measured_sigma_data(x)
        notice(f"edm: sigma_data = {self.sigma_data:.4f}, the standard deviation of {len(x)} training items")

    def denoiser(self, F: nn.Module | Callable):
        if not math.isfinite(self.sigma_data):
            raise ConfigError("edm: sigma_data was never measured (measure_data before training, or load a checkpoint)")
        return preconditioned(F, self.sigma_data)

    def loss(self, batch: Batch) -> Losses:
        per_sample = denoising_loss(self.denoiser(self.nets["F"]), batch.x, self.sigma_data, self.p_mean, self.p_std)
        return with_total({"denoising_loss": per_sample.mean()},
                          sigma_data=torch.tensor(self.sigma_data, device=per_sample.device))

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """N(0, I) shaped like the data [n, *shape]: the sampler starts at sigma_max times it."""
        return torch.randn(n, *self.shape, generator=generator).to(device)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        sampler = DIFFUSION_SAMPLERS.get(self.solver)
        x, info = sampler(self.denoiser(nets["F"]), z, self.sample_steps, churn=self.churn, generator=generator,
                          **self.schedule)
        self.last_nfe = info["nfe"]
        return x.clamp(-1, 1) if self.bounded else x

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-|D(x; sigma) - x|^2 / 2 at sigma = sigma_data / 10: near 0 where the denoiser is at rest (on the data),
        drawn as the landscape of 2-D runs (no critic of its own)."""
        F = self.nets["F"]
        with evaluating(F):
            sigma = torch.full((len(x),), self.sigma_data / 10, device=x.device)
            return -0.5 * (self.denoiser(F)(x, sigma) - x).flatten(1).pow(2).sum(1)

    def describe_sampling(self) -> str:
        churn = f", churn {self.churn}" if self.churn else ""
        return f"{self.solver}, {self.sample_steps} steps, {self.last_nfe} NFE{churn}"

    def sampling_nfe(self) -> int:
        return sampler_nfe(self.solver, self.sample_steps)

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {"sigma_data": torch.tensor(self.sigma_data, dtype=torch.float64)}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        if "sigma_data" in tensors:
            self.sigma_data = float(tensors["sigma_data"])
