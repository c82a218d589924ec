"""Samplers over an energy, as plain functions with one signature (see langevin.py), registered by name."""
from __future__ import annotations

from ..registry import Registry
from .langevin import ScoreField, langevin, mala
from .schedules import ANNEALING, anneal

SAMPLERS: Registry = Registry("samplers")
SAMPLERS.register("langevin")(langevin)
SAMPLERS.register("mala")(mala)

__all__ = ["SAMPLERS", "ANNEALING", "ScoreField", "anneal", "langevin", "mala"]
