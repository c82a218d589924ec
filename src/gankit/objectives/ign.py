"""IGN, the idempotent generative network (Shocher et al., arXiv 2311.01462; docs/algorithms.md section 11): one
network f (stored as the run's G) trained so that real data are fixed points, f(z) of noise lands on them
(f(f(z)) = f(z)), and the set of fixed points stays tight. Su (kexue.fm/archives/9969) reads it as a GAN whose
generator and discriminator delta(x) = D(f(x), x) share every parameter."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from ..domains import AT_LEAST_0, integers
from ..errors import ConfigError
from .base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, evaluating, frozen, with_total

DISTANCES = ("l1", "l2")
CLAMP_SCALES = ("noise", "real")


def distance(a: torch.Tensor, b: torch.Tensor, kind: str) -> torch.Tensor:
    """D(a, b) per sample [N]: mean_pix |a - b| (l1, the paper's) or mean_pix (a - b)^2 (l2)."""
    diff = (a - b).flatten(1)
    return diff.abs().mean(1) if kind == "l1" else diff.pow(2).mean(1)


@OBJECTIVES.register("ign")
class IGN(Objective):
    """L = lambda_rec D(f(x), x) + lambda_idem D(f'(f(z)), f(z)) - lambda_tight D(f(sg f(z)), sg f(z)), the tightness
    term clamped per sample to tanh(L_t(z) / (a L_rec(z))) a L_rec(z) (Shocher et al. 2023, eqs. 5-8 and section
    3.2; lambdas 20 / 20 / 2.5, a = 1.5). L_rec(z) is read as the reconstruction loss of z itself, sg D(f(z), z)
    (clamp_scale noise); clamp_scale real takes the paired real sample's sg D(f(x), x) instead, which shrinks as f
    learns the data and switches the tightness off (the digits collapse). z ~ N(0, I) shaped like the data;
    sampling is f(z), applied `applications` times."""

    networks = {"f": NetworkSlot("data map", default="mlp-ae")}
    capabilities = Capabilities(sampling_options=("applications",))  # its critic is f itself: no penalties
    ema_networks = ("f",)
    renamed_networks = {"G": "f"}  # checkpoints of format 1 stored f as G
    option_domains = {"lambda_rec": AT_LEAST_0, "lambda_idem": AT_LEAST_0, "lambda_tight": AT_LEAST_0, "tight_clamp": AT_LEAST_0,
                      "applications": integers(1, 1000)}  # read by registry.check_options

    def __init__(self, networks, z_dim, lambda_rec: float = 20.0, lambda_idem: float = 20.0,
                 lambda_tight: float = 2.5, tight_clamp: float = 1.5, clamp_scale: str = "noise", distance: str = "l1",
                 applications: int = 1):
        super().__init__(networks, z_dim)
        if distance not in DISTANCES:
            raise ConfigError(f"objective.options.distance: {distance!r}; choose from {', '.join(DISTANCES)}")
        if clamp_scale not in CLAMP_SCALES:
            raise ConfigError(f"objective.options.clamp_scale: {clamp_scale!r}; choose from {', '.join(CLAMP_SCALES)}")
        if applications < 1:
            raise ConfigError(f"objective.options.applications: expected 1 or more, got {applications}")
        self.weights = {"rec": lambda_rec, "idem": lambda_idem, "tight": lambda_tight}
        self.tight_clamp, self.clamp_scale = tight_clamp, clamp_scale
        self.distance, self.applications = distance, applications
        self.shape = tuple(networks["f"].shape)

    def phases(self) -> list[Phase]:
        return [Phase("f", ("f",), "generator", self.loss)]

    def terms(self, x: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """The three per-sample losses [N], unweighted (the tightness term clamped)."""
        f = self.nets["f"]
        f_x, f_z = f(x), f(z)
        f_z_stopped = f_z.detach()
        rec = distance(f_x, x, self.distance)
        idem = distance(frozen(f)(f_z), f_z, self.distance)  # f' = the paper's re-synced copy: gradient through f(z) only
        tight = -distance(f(f_z_stopped), f_z_stopped, self.distance)  # gradient through the outer f only
        if self.tight_clamp > 0:
            reference = distance(f_z_stopped, z, self.distance) if self.clamp_scale == "noise" else rec.detach()
            scale = self.tight_clamp * reference.clamp_min(1e-8)  # f(z) = z exactly would divide by 0
            tight = torch.tanh(tight / scale) * scale
        return {"rec": rec, "idem": idem, "tight": tight}

    def loss(self, batch: Batch) -> Losses:
        per_sample = self.terms(batch.x, batch.z)
        weighted = {f"{k}_loss": self.weights[k] * v.mean() for k, v in per_sample.items()}
        return with_total(weighted)

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """Gaussian noise shaped like the data [n, *shape] (the paper's simple default)."""
        return torch.randn(n, *self.shape, generator=generator).to(device)

    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        x = z
        for _ in range(self.applications):
            x = nets["f"](x)
        return x

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-delta(x) = -D(f(x), x): high where x is (nearly) a fixed point, Su's discriminator reading."""
        f = self.nets["f"]
        with evaluating(f):
            return -distance(f(x), x, self.distance)

    def critic_module(self) -> nn.Module | None:
        return None
