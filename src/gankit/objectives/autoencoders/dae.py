"""Denoising autoencoders as generative models (Su kexue.fm/archives/7038; docs/algorithms.md section 14): an
autoencoder r trained to denoise over a range of noise levels (denoising score matching, as the annealed DSM
of Li, Chen & Sommer 2019, with the score read from r instead of an energy's gradient), sampled by annealed
Langevin dynamics and one final denoising jump x <- r(x)."""
from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import nn

from ...domains import POSITIVE, integers
from ...data import DataSpec
from ...errors import ConfigError
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, evaluating, with_total
from ...samplers import ScoreField, langevin


def geometric_levels(sigma_max: float, sigma_min: float, steps: int) -> torch.Tensor:
    """`steps` noise levels from sigma_max down to sigma_min, evenly spaced in log."""
    return torch.exp(torch.linspace(math.log(sigma_max), math.log(sigma_min), steps))


def annealed_langevin(denoiser: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, levels: torch.Tensor,
                      step_scale: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict]:
    """Annealed Langevin dynamics (Song & Ermon 2019) with the score of level sigma_t approximated from a
    denoiser as (r(x) - x) / sigma_t^2, and step step_scale sigma_t^2 / 2: x <- x + step_scale (r(x) - x) / 2 +
    sqrt(step_scale) sigma_t xi for each level given. The drift is level-free, so this is the shared
    `samplers.langevin` on the score field r(x) - x with step step_scale / 2 and noise sqrt(step_scale) sigma_t."""
    noise = [math.sqrt(step_scale) * sigma for sigma in levels.tolist()]
    return langevin(ScoreField(lambda x: denoiser(x) - x), x0, len(noise), 0.5 * step_scale, noise,
                    generator=generator)


@OBJECTIVES.register("dae")
class DenoisingAutoencoder(Objective):
    """A denoising autoencoder r(x) = G(E(x)) trained over a range of noise levels: min E_{sigma, x, eps}
    ||x - r(x + sigma eps)||^2 / sigma^2, sigma log-uniform in [sigma_min, sigma_max] (the 1 / sigma^2 weight
    makes every level count alike). A denoiser of one level sigma has r*(x~) = x~ + sigma^2 grad log p_sigma(x~);
    this r sees no sigma, so it learns the denoiser of the mixture over levels, and (r(x) - x) / sigma_t^2 is only
    an approximation of the score at level sigma_t: close near the data, not between modes (data at +-1: at
    x = 0.2 the optimal r reads 0.53 times the score for sigma_t = 0.1 and the opposite sign for sigma_t = 1).
    Langevin with step step_scale sigma_t^2 on that reading has the level-free drift step_scale (r(x) - x) / 2.
    Sampling: langevin_steps levels from sigma_max down to sigma_min, then x <- r(x)."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("encoder")}
    capabilities = Capabilities()  # no critic to penalise
    option_domains = {"sigma_min": POSITIVE, "sigma_max": POSITIVE, "langevin_steps": integers(1, 1_000_000),
                      "step_scale": POSITIVE}  # read by registry.check_options

    def __init__(self, networks, z_dim, spec: DataSpec, sigma_min: float = 0.05, sigma_max: float = 1.0,
                 langevin_steps: int = 200, step_scale: float = 0.1):
        if not 0 < sigma_min <= sigma_max:
            raise ConfigError(f"objective.options: expected 0 < sigma_min <= sigma_max, got {sigma_min}, {sigma_max}")
        super().__init__(networks, z_dim)
        self.shape, self.bounded = tuple(spec.shape), spec.bounded
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.langevin_steps, self.step_scale = langevin_steps, step_scale

    def phases(self) -> list[Phase]:
        return [Phase("DAE", ("E", "G"), "generator", self.loss)]

    @staticmethod
    def denoiser(nets: Mapping[str, nn.Module]) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda x: nets["G"](nets["E"](x))

    def loss(self, batch: Batch) -> Losses:
        x = batch.x
        log_sigma = torch.empty(len(x), device=x.device).uniform_(math.log(self.sigma_min), math.log(self.sigma_max))
        sigma = log_sigma.exp().view(-1, *[1] * (x.dim() - 1))
        denoised = self.denoiser(self.nets)(x + sigma * torch.randn_like(x))
        per_sample = (x - denoised).flatten(1).pow(2).sum(1) / sigma.flatten().pow(2)
        return with_total({"dsm": per_sample.mean()})

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """Chains start shaped like the data: uniform on [-1, 1] for bounded data, else N(0, sigma_max^2 I)."""
        if self.bounded:
            return (2 * torch.rand((n, *self.shape), generator=generator) - 1).to(device)
        return (self.sigma_max * torch.randn((n, *self.shape), generator=generator)).to(device)

    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        r = self.denoiser(nets)
        levels = geometric_levels(self.sigma_max, self.sigma_min, self.langevin_steps)
        x, _ = annealed_langevin(r, z, levels, self.step_scale, generator)
        return r(x)  # the final denoising jump

    def reconstruct(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> torch.Tensor:
        """r(x): the denoised x."""
        return self.denoiser(nets)(x)

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-||r(x) - x||^2 / 2: near 0 where the denoiser is at rest (on the data), drawn as the landscape of 2-D runs."""
        with evaluating(self.nets["E"], self.nets["G"]):
            return -0.5 * (self.denoiser(self.nets)(x) - x).flatten(1).pow(2).sum(1)
