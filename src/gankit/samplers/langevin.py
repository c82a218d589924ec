"""Langevin samplers over an energy U (low = likely): unadjusted Langevin (ULA) and MALA.

Every sampler here has one signature, so EBM training, latent refinement and the denoising generator can
share them:

    sampler(energy, x0, steps, step_size, noise_scale=None, *, clip_grad=None, clamp=None, mala=False,
            generator=None, chunk=None, trace=False) -> (x, info)

- energy: callable x [N, ...] -> energies [N] (per sample; the sampler differentiates it w.r.t. x only);
- x0: the chains' starting states [N, ...]; N chains run side by side (vectorised);
- step_size (alpha) and noise_scale (sigma): a float, or one value per step (annealing, see schedules.py).
  One step is x' = x - alpha clip(grad U(x)) + sigma xi, xi ~ N(0, I). noise_scale=None couples them as
  the textbook sigma = sqrt(2 alpha) (docs/algorithms.md section 9: z' = z - alpha grad U + sqrt(2 alpha) xi), which
  samples exp(-U) as alpha -> 0. A separate small sigma is the IGEBM practice (docs/algorithms.md section 12);
  it samples exp(-U) only at its own temperature, sigma^2 / (2 alpha), which the info reports;
- clip_grad: clamp every gradient element to +-clip_grad (IGEBM's proj_norm); clamp: (low, high) bounds x
  after each step (the data range). Either breaks MALA's exactness; the sampler allows it and says nothing;
- mala: Metropolis-adjusted (Roberts & Tweedie 1996): accept x' with probability
  min(1, exp(U(x) - U(x') + log q(x|x') - log q(x'|x))), log q(b|a) = -|b - a + alpha g(a)|^2 / (2 sigma^2),
  the squared norm (the MEG code's unsquared norm is a bug, docs/algorithms.md section 9);
- generator: a torch.Generator on the CPU for all randomness; None draws from the global RNG;
- chunk: run at most this many chains at once (memory); chunks draw their noise one after the other, so
  the same seed gives the same chains for the same chunk size;
- trace: also keep every state, info["states"] [steps + 1, N, ...].

info: "energy" [steps + 1] mean energy of the chains at each step (before the first move, then after each);
"acceptance" (MALA: share of accepted moves over all steps and chains) and "acceptance_per_step" [steps];
"temperature" sigma^2 / (2 alpha) of the first step (1 for the coupled form).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..errors import ConfigError
from ..numerics import penalty_precision

Energy = Callable[[torch.Tensor], torch.Tensor]
Schedule = float | Sequence[float] | torch.Tensor


def per_step(value: Schedule, steps: int, name: str) -> list[float]:
    """A float or a sequence of `steps` values -> a list of `steps` floats, each > 0."""
    values = [float(value)] * steps if isinstance(value, (int, float)) else [float(v) for v in value]
    if len(values) != steps:
        raise ConfigError(f"sampler {name}: {len(values)} values for {steps} steps")
    if any(v <= 0 for v in values):
        raise ConfigError(f"sampler {name}: every value must be > 0, got {min(values)}")
    return values


class ScoreField:
    """An energy known only through its score s(x) = -grad U(x), e.g. a denoiser's (r(x) - x) / sigma^2
    (docs/algorithms.md section 14). The unadjusted samplers run on it; U itself is unknown, so the energy trace
    is NaN and MALA, whose acceptance test needs U, refuses it."""

    def __init__(self, score: Callable[[torch.Tensor], torch.Tensor]):
        self.score = score


def energy_and_grad(energy: Energy | ScoreField, x: torch.Tensor,
                    clip_grad: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """U(x) [N] and dU/dx (clipped elementwise when asked), both detached from any graph."""
    if isinstance(energy, ScoreField):
        u, g = torch.full((len(x),), float("nan"), device=x.device), -energy.score(x.detach()).detach()
    else:
        with torch.enable_grad(), penalty_precision(x):  # out of fp16 autocast: unscaled, it would underflow
            x = x.detach().requires_grad_(True)
            u = energy(x)
            (g,) = torch.autograd.grad(u.sum(), x)
    if clip_grad is not None:
        g = g.clamp(-clip_grad, clip_grad)
    return u.detach(), g


def gaussian(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is None:
        return torch.randn_like(like)
    return torch.randn(like.shape, generator=generator, dtype=like.dtype).to(like.device)


def uniform(n: int, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is None:
        return torch.rand(n, dtype=like.dtype, device=like.device)
    return torch.rand(n, generator=generator, dtype=like.dtype).to(like.device)


def log_proposal(to: torch.Tensor, start: torch.Tensor, grad: torch.Tensor, alpha: float, sigma: float) -> torch.Tensor:
    """log q(to | start) up to a constant for the move start - alpha grad + sigma xi. [N]"""
    return -(to - start + alpha * grad).flatten(1).pow(2).sum(1) / (2 * sigma**2)


def run_chains(energy: Energy, x0: torch.Tensor, alphas: list[float], sigmas: list[float], clip_grad, clamp,
               mala: bool, generator, trace: bool) -> tuple[torch.Tensor, dict]:
    """One batch of chains (see the module docstring)."""
    x = x0.detach().clone()
    u, g = energy_and_grad(energy, x, clip_grad)
    energies, accepted, states = [u.mean()], [], [x] if trace else None
    for alpha, sigma in zip(alphas, sigmas):
        proposal = x - alpha * g + sigma * gaussian(x, generator)  # [N, ...]
        if clamp is not None:
            proposal = proposal.clamp(*clamp)
        u_new, g_new = energy_and_grad(energy, proposal, clip_grad)
        if mala:
            log_ratio = (u - u_new + log_proposal(x, proposal, g_new, alpha, sigma)
                         - log_proposal(proposal, x, g, alpha, sigma))  # [N]
            accept = uniform(len(x), x, generator).log() < log_ratio
            keep = accept.view(-1, *[1] * (x.dim() - 1))
            x, u, g = torch.where(keep, proposal, x), torch.where(accept, u_new, u), torch.where(keep, g_new, g)
            accepted.append(accept.float().mean())
        else:
            x, u, g = proposal, u_new, g_new
        energies.append(u.mean())
        if trace:
            states.append(x)
    info = {"energy": torch.stack(energies),
            "temperature": sigmas[0] ** 2 / (2 * alphas[0]) if alphas else 1.0}
    if mala:
        per = torch.stack(accepted) if accepted else torch.zeros(0)
        info.update(acceptance=float(per.mean()) if accepted else 1.0, acceptance_per_step=per)
    if trace:
        info["states"] = torch.stack(states)
    return x, info


def merge_info(parts: list[dict], sizes: list[int]) -> dict:
    """Chain-count-weighted means of the chunks' traces; states concatenated along the chains."""
    total = sum(sizes)
    out = {"energy": sum(p["energy"] * n for p, n in zip(parts, sizes)) / total, "temperature": parts[0]["temperature"]}
    if "acceptance" in parts[0]:
        out["acceptance_per_step"] = sum(p["acceptance_per_step"] * n for p, n in zip(parts, sizes)) / total
        out["acceptance"] = sum(p["acceptance"] * n for p, n in zip(parts, sizes)) / total
    if "states" in parts[0]:
        out["states"] = torch.cat([p["states"] for p in parts], dim=1)
    return out


def langevin(energy: Energy, x0: torch.Tensor, steps: int, step_size: Schedule, noise_scale: Schedule | None = None,
             *, clip_grad: float | None = None, clamp: tuple[float, float] | None = None, mala: bool = False,
             generator: torch.Generator | None = None, chunk: int | None = None,
             trace: bool = False) -> tuple[torch.Tensor, dict]:
    """Langevin dynamics on exp(-U) from x0, unadjusted or (mala=True) Metropolis-adjusted.
    Implements x' = x - alpha grad U(x) + sigma xi (Welling & Teh 2011; MALA: Roberts & Tweedie 1996)."""
    if steps < 0:
        raise ConfigError(f"sampler steps must be >= 0, got {steps}")
    if mala and isinstance(energy, ScoreField):
        raise ConfigError("MALA needs the energy itself for its acceptance test; a score field has none (use langevin)")
    alphas = per_step(step_size, steps, "step_size")
    sigmas = ([(2 * a) ** 0.5 for a in alphas] if noise_scale is None
              else per_step(noise_scale, steps, "noise_scale"))
    parts = x0.split(chunk) if chunk else (x0,)
    results = [run_chains(energy, part, alphas, sigmas, clip_grad, clamp, mala, generator, trace) for part in parts]
    x = torch.cat([r[0] for r in results])
    return x, merge_info([r[1] for r in results], [len(p) for p in parts])


def mala(energy: Energy, x0: torch.Tensor, steps: int, step_size: Schedule, noise_scale: Schedule | None = None,
         *, clip_grad: float | None = None, clamp: tuple[float, float] | None = None, mala: bool = True,
         generator: torch.Generator | None = None, chunk: int | None = None,
         trace: bool = False) -> tuple[torch.Tensor, dict]:
    """`langevin` with the Metropolis correction on (the same signature, so SAMPLERS can name it)."""
    return langevin(energy, x0, steps, step_size, noise_scale, clip_grad=clip_grad, clamp=clamp, mala=True,
                    generator=generator, chunk=chunk, trace=trace)
