"""Objectives, penalties and constraints, and `build_objective` which assembles them from a config."""
from __future__ import annotations

import inspect

from ..config import Config
from ..data import DataSpec
from ..errors import ConfigError
from ..nn import DATA_MAPS, DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_CRITICS, build_network
from ..registry import check_options
from . import encoder_gans, energy, gan, ign, meg, qp  # noqa: F401  (registers the objectives)
from .base import OBJECTIVES, Batch, Objective, Phase
from .. import autoencoders  # noqa: F401,E402  (registers vae, eae, dae, vq-vae)
from .constraints import CONSTRAINTS
from .penalties import PENALTIES

# kind in Objective.needs -> (registry, outputs in units of z_dim; 0 = the network's own output)
_NETWORK_KINDS = {"generator": (GENERATORS, 0), "discriminator": (DISCRIMINATORS, 0), "encoder": (ENCODERS, 1),
                  "gaussian-encoder": (ENCODERS, 2), "joint": (JOINT_CRITICS, 0), "data map": (DATA_MAPS, 0)}


def build_penalties(cfg: Config) -> list:
    out = []
    for i, p in enumerate(cfg.penalties):
        cls = PENALTIES.get(p.name)
        check_options(cls, p.options, f"penalties.{i}.options", skip=("weight", "every"))
        out.append(cls(weight=p.weight, every=p.every, **p.options))
    return out


def build_objective(cfg: Config, spec: DataSpec) -> Objective:
    """The objective with freshly initialised networks, built from the config and the data's description."""
    cls = OBJECTIVES.get(cfg.objective.name)
    networks = {}
    for name, kind in cls.needs.items():
        net_cfg = getattr(cfg.model, name, None)
        if net_cfg is None:
            raise ConfigError(f"objective {cfg.objective.name} needs network {name}: add model.{name}")
        registry, outputs = _NETWORK_KINDS[kind]
        built_in = {"spec": spec, "z_dim": cfg.model.z_dim, **({"outputs": outputs * cfg.model.z_dim} if outputs else {})}
        networks[name] = build_network(registry, net_cfg.name, net_cfg.options, f"model.{name}.options", **built_in)
    check_options(cls, cfg.objective.options, "objective.options", skip=("networks", "penalties", "z_dim", "spec"))
    # objectives that need the data's description (to shape noise like the data) take a `spec` argument
    given = {"spec": spec} if "spec" in inspect.signature(cls).parameters else {}
    return cls(networks, build_penalties(cfg), cfg.model.z_dim, **given, **cfg.objective.options)


def build_constraints(cfg: Config, objective: Objective) -> dict[str, list]:
    """Network name -> its constraints, attached to the network already (call before making optimizers)."""
    out: dict[str, list] = {name: [] for name in objective.nets}
    for i, c in enumerate(cfg.constraints):
        if c.network not in out:
            raise ConfigError(f"constraints.{i}.network: {c.network!r} is not a network of this objective "
                              f"({', '.join(out)})")
        cls = CONSTRAINTS.get(c.name)
        check_options(cls, c.options, f"constraints.{i}.options", skip=())
        constraint = cls(**c.options)
        constraint.attach(objective.nets[c.network])
        out[c.network].append(constraint)
    return out


__all__ = ["OBJECTIVES", "PENALTIES", "CONSTRAINTS", "Batch", "Objective", "Phase",
           "build_objective", "build_constraints", "build_penalties"]
