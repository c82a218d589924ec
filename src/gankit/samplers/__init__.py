"""Samplers as plain functions with one signature per family, registered by name: over an energy (langevin.py)
and over a diffusion model's denoiser (edm.py)."""
from __future__ import annotations

from ..registry import Registry
from .edm import edm_sigmas, euler, heun, sampler_nfe
from .langevin import ScoreField, langevin, mala
from .schedules import ANNEALING, anneal

SAMPLERS: Registry = Registry("samplers")
SAMPLERS.register("langevin")(langevin)
SAMPLERS.register("mala")(mala)

DIFFUSION_SAMPLERS: Registry = Registry("diffusion samplers")  # (denoiser, noise, steps, ...) -> (x, info)
DIFFUSION_SAMPLERS.register("heun")(heun)
DIFFUSION_SAMPLERS.register("euler")(euler)

__all__ = ["SAMPLERS", "DIFFUSION_SAMPLERS", "ANNEALING", "ScoreField", "anneal", "edm_sigmas", "euler", "heun",
           "langevin", "mala", "sampler_nfe"]
