"""Critic-guided refinement of a trained run's samples by Langevin / MALA (DDLS: Che et al. 2020,
arXiv 2003.06060; Su's "better truncation", kexue.fm/archives/6331; MEG's latent MCMC, docs/algorithms.md section 9).

GANs (and MEG) move the latent code on U(z) = |z|^2 / 2 - beta D(G(z)), D the critic (high on real; -U for
energy networks), so that the prior keeps z typical while the critic pulls G(z) towards the data. Energy
models have no generator: their samples move in data space on beta U(x) = -beta D(x)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .errors import ConfigError
from .objectives import names_with
from .objectives.base import evaluating
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


def check_from_noise(space: str) -> None:
    """--from-noise starts chains at the noise itself: only where samples are refined in data space."""
    if space != "data":
        raise ConfigError(f"--from-noise: only objectives whose chains run in data space start them from noise "
                          f"({names_with(lambda c: c.refine == 'data')})")


def refinement_space(exp) -> str:
    """Where the objective declares its samples are refined: 'data' (energy models: chains in x), 'latent' (a
    generator under a critic over x alone); otherwise a ConfigError naming the objectives that can."""
    space = exp.objective.capabilities.refine
    if space is None:
        raise ConfigError(f"objective {exp.cfg.objective.name!r} has no critic over x alone to refine with; refine "
                          f"works for {names_with(lambda c: c.refine is not None)}")
    return space


def latent_energy(critic, G, beta: float):
    """U(z) = |z|^2 / 2 - beta D(G(z)) [N] (DDLS eq. 7 with the critic's logit as d)."""
    return lambda z: 0.5 * z.flatten(1).pow(2).sum(1) - beta * critic(G(z))


@torch.no_grad()
def refine(exp, z: torch.Tensor, settings: RefineSettings, use_ema: bool = True,
           generator: torch.Generator | None = None, trace: bool = False,
           from_noise: bool = False) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """(samples before, samples after, info) from the noise z of objective.sample_z: the same z, so the two
    sets compare sample by sample. info holds the settings, the space, the sampler's acceptance and energy
    trace, and with trace=True the chain's states in data space ("states" [steps + 1, N, ...]).
    from_noise (energy models only): the chains start at the noise z itself, not at the model's samples."""
    space = refinement_space(exp)
    if from_noise:
        check_from_noise(space)
    nets = exp.networks(use_ema)
    sampler = SAMPLERS.get(settings.sampler)
    z = z.to(exp.device)
    with evaluating(*nets.values()):
        before = z if from_noise else exp.objective.generate(z, nets, generator)
        critic = exp.objective.critic_field(nets)
        G = lambda z: exp.objective.generate(z, nets, generator)  # noqa: E731  (the sample a latent z maps to)
        if space == "data":
            energy = lambda x: -settings.beta * critic(x)  # noqa: E731
            start = before
        else:
            energy, start = latent_energy(critic, G, settings.beta), z
        clamp = exp.objective.clamp if space == "data" else None
        moved, info = sampler(energy, start, settings.steps, settings.step_size, settings.noise_scale,
                              clamp=clamp, generator=generator, trace=trace)
        after = moved if space == "data" else G(moved)
        if trace and space == "latent":
            info["states"] = torch.stack([G(s) for s in info["states"]])
    info = {**info, **settings.to_dict(), "space": space}
    return before.cpu(), after.cpu(), info
