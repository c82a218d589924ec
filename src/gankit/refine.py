"""Critic-guided refinement of a trained run's samples by Langevin / MALA (DDLS: Che et al. 2020,
arXiv 2003.06060; Su's "better truncation", kexue.fm/archives/6331; MEG's latent MCMC, docs/algorithms.md section 9).

GANs (and MEG) move the latent code on U(z) = |z|^2 / 2 - beta D(G(z)), D the critic (high on real; -U for
energy networks), so that the prior keeps z typical while the critic pulls G(z) towards the data. Energy
models have no generator: their samples move in data space on beta U(x) = -beta D(x)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .errors import ConfigError
from .experiment import Experiment
from .objectives.base import evaluating
from .objectives.energy import EnergyBasedModel
from .samplers import SAMPLERS


@dataclass
class RefineSettings:
    sampler: str = "langevin"      # langevin | mala (gankit list samplers)
    steps: int = 20                # sampler steps
    step_size: float = 0.01        # alpha of z' = z - alpha grad U + sigma xi
    beta: float = 1.0              # inverse temperature on the critic: U(z) = |z|^2 / 2 - beta D(G(z))
    noise_scale: float | None = None  # sigma; None = sqrt(2 alpha), the textbook Langevin coupling

    def to_dict(self) -> dict:
        return asdict(self)


def refinement_space(exp: Experiment) -> str:
    """'data' for energy models, 'latent' for runs with a generator and a critic over x alone; otherwise a
    ConfigError saying why not."""
    objective, name = exp.objective, exp.cfg.objective.name
    if isinstance(objective, EnergyBasedModel):
        return "data"
    if objective.critic_field(exp.networks()) is None:
        raise ConfigError(f"objective {name!r} has no critic over x alone (its critic scores pairs (x, z)), so "
                          "there is no energy to refine with; refine works for the GAN family, gan-qp, o-gan, "
                          "meg and ebm runs")
    return "latent"


def latent_energy(critic, G, beta: float):
    """U(z) = |z|^2 / 2 - beta D(G(z)) [N] (DDLS eq. 7 with the critic's logit as d)."""
    return lambda z: 0.5 * z.flatten(1).pow(2).sum(1) - beta * critic(G(z))


@torch.no_grad()
def refine(exp: Experiment, z: torch.Tensor, settings: RefineSettings, use_ema: bool = True,
           generator: torch.Generator | None = None, trace: bool = False,
           from_noise: bool = False) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """(samples before, samples after, info) from the noise z of objective.sample_z: the same z, so the two
    sets compare sample by sample. info holds the settings, the space, the sampler's acceptance and energy
    trace, and with trace=True the chain's states in data space ("states" [steps + 1, N, ...]).
    from_noise (energy models only): the chains start at the noise z itself, not at the model's samples."""
    space = refinement_space(exp)
    if from_noise and space != "data":
        raise ConfigError("--from-noise: only energy models (ebm) sample by chains in data space")
    nets = exp.networks(use_ema)
    sampler = SAMPLERS.get(settings.sampler)
    z = z.to(exp.device)
    with evaluating(*nets.values()):
        before = z if from_noise else exp.objective.generate(z, nets, generator)
        critic = exp.objective.critic_field(nets)
        if space == "data":
            energy = lambda x: -settings.beta * critic(x)  # noqa: E731
            start = before
        else:
            energy, start = latent_energy(critic, nets["G"], settings.beta), z
        clamp = getattr(exp.objective, "clamp", None) if space == "data" else None
        moved, info = sampler(energy, start, settings.steps, settings.step_size, settings.noise_scale,
                              clamp=clamp, generator=generator, trace=trace)
        after = moved if space == "data" else exp.objective.generate(moved, nets, generator)
        if trace and space == "latent":
            info["states"] = torch.stack([nets["G"](s) for s in info["states"]])
    info = {**info, **settings.to_dict(), "space": space}
    return before.cpu(), after.cpu(), info
