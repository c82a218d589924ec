"""ODE / SDE samplers of a diffusion model given by its denoiser D(x; sigma) (EDM: Karras et al. 2022, arXiv
2206.00364, Algorithms 1 and 2; docs/algorithms.md section 21). Every sampler here has one signature:

    sampler(denoiser, noise, steps, *, sigma_min=0.002, sigma_max=80, rho=7, churn=0, s_tmin=0, s_tmax=inf,
            s_noise=1, generator=None, trace=False) -> (x, info)

- denoiser: callable (x [N, ...], sigma [N]) -> the denoised x [N, ...];
- noise: N(0, I) [N, ...]; the chains start at x_0 = sigma_max * noise;
- steps: the number N of noise levels sigma_0 > ... > sigma_{N-1}, sigma_i = (sigma_max^(1/rho) + i / (N - 1)
  (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, then sigma_N = 0; one step (N = 1) is the single jump
  x = D(x_0; sigma_max);
- churn (S_churn): the stochastic sampler's noise, gamma_i = min(churn / N, sqrt(2) - 1) for sigma_i in
  [s_tmin, s_tmax], 0 (the deterministic ODE) by default; s_noise scales the added noise;
- generator: a torch.Generator on the CPU for the churn's noise; None draws from the global RNG.

info: "nfe" the denoiser evaluations per sample (Euler N, Heun 2N - 1: its last step is an Euler step to
sigma = 0), "sigmas" the levels [N + 1]; with trace, "states" [N + 1, N, ...]."""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..errors import ConfigError
from .langevin import gaussian

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def edm_sigmas(steps: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> torch.Tensor:
    """The EDM time steps sigma_0 = sigma_max > ... > sigma_{N-1} = sigma_min, then 0 [steps + 1] (eq. 5)."""
    if steps < 1:
        raise ConfigError(f"sampler steps must be >= 1, got {steps}")
    if not 0 < sigma_min < sigma_max:
        raise ConfigError(f"sampler sigmas: expected 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
    i = torch.arange(steps, dtype=torch.float64) / max(steps - 1, 1)
    sigmas = (sigma_max ** (1 / rho) + i * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([sigmas, torch.zeros(1, dtype=torch.float64)])


def derivative(denoiser: Denoiser, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """dx/dsigma = (x - D(x; sigma)) / sigma, the probability-flow ODE of EDM (eq. 3 with sigma(t) = t)."""
    levels = torch.full((len(x),), sigma, dtype=x.dtype, device=x.device)
    return (x - denoiser(x, levels)) / sigma


def integrate(denoiser: Denoiser, noise: torch.Tensor, steps: int, second_order: bool, sigma_min: float,
              sigma_max: float, rho: float, churn: float, s_tmin: float, s_tmax: float, s_noise: float,
              generator, trace: bool) -> tuple[torch.Tensor, dict]:
    """EDM Algorithm 2 (Algorithm 1 with churn 0); Euler steps when not second_order."""
    sigmas = edm_sigmas(steps, sigma_min, sigma_max, rho).tolist()
    x, nfe = noise * sigmas[0], 0
    states = [x] if trace else None
    for i, (sigma, sigma_next) in enumerate(zip(sigmas[:-1], sigmas[1:])):
        gamma = min(churn / steps, math.sqrt(2) - 1) if s_tmin <= sigma <= s_tmax else 0.0
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            x = x + math.sqrt(sigma_hat**2 - sigma**2) * s_noise * gaussian(x, generator)
        d = derivative(denoiser, x, sigma_hat)
        x_next, nfe = x + (sigma_next - sigma_hat) * d, nfe + 1
        if second_order and sigma_next > 0:  # the trapezoid rule's correction
            d_next = derivative(denoiser, x_next, sigma_next)
            x_next, nfe = x + (sigma_next - sigma_hat) * (d + d_next) / 2, nfe + 1
        x = x_next
        if trace:
            states.append(x)
    info = {"nfe": nfe, "sigmas": torch.tensor(sigmas)}
    if trace:
        info["states"] = torch.stack(states)
    return x, info


def heun(denoiser: Denoiser, noise: torch.Tensor, steps: int, *, sigma_min: float = 0.002, sigma_max: float = 80.0,
         rho: float = 7.0, churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0,
         generator: torch.Generator | None = None, trace: bool = False) -> tuple[torch.Tensor, dict]:
    """Heun's second-order method on the EDM steps (Karras et al. 2022, Algorithms 1-2): 2N - 1 evaluations."""
    return integrate(denoiser, noise, steps, True, sigma_min, sigma_max, rho, churn, s_tmin, s_tmax, s_noise,
                     generator, trace)


def euler(denoiser: Denoiser, noise: torch.Tensor, steps: int, *, sigma_min: float = 0.002, sigma_max: float = 80.0,
          rho: float = 7.0, churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0,
          generator: torch.Generator | None = None, trace: bool = False) -> tuple[torch.Tensor, dict]:
    """Euler's first-order method on the EDM steps (Karras et al. 2022, Algorithm 2 without its correction): N
    evaluations."""
    return integrate(denoiser, noise, steps, False, sigma_min, sigma_max, rho, churn, s_tmin, s_tmax, s_noise,
                     generator, trace)


def sampler_nfe(solver: str, steps: int) -> int:
    """Denoiser evaluations per sample of `solver` on `steps` levels, as its info["nfe"] counts them: Heun 2N - 1
    (its last step, to sigma = 0, is Euler's), Euler N."""
    if solver not in ("heun", "euler"):
        raise ConfigError(f"sampler {solver!r}: expected heun or euler")
    return 2 * steps - 1 if solver == "heun" else steps
