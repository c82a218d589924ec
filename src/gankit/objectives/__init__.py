"""Objectives, penalties and constraints, and `build_objective` which assembles them from a config."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from ..config import Config, NetworkConfig, OptimizerConfig
from ..data import DataSpec
from ..errors import ConfigError
from ..nn import DATA_MAPS, DENOISERS, DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_CRITICS, build_network
from ..registry import check_options, did_you_mean
from .base import OBJECTIVES, Batch, Capabilities, NetworkSlot, Objective, Phase
from .constraints import CONSTRAINTS
from .penalties import PENALTIES

# every module below objectives/ is imported, so an objective registers where it is defined and nowhere else
for _module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
    importlib.import_module(_module.name)

# a declared network's role -> (registry, outputs in units of z_dim; 0 = the network's own output)
ROLE_REGISTRIES = {"generator": (GENERATORS, 0), "discriminator": (DISCRIMINATORS, 0), "encoder": (ENCODERS, 1),
                   "gaussian-encoder": (ENCODERS, 2), "joint": (JOINT_CRITICS, 0), "data map": (DATA_MAPS, 0),
                   "denoiser": (DENOISERS, 0)}


def build_penalties(cfg: Config) -> list:
    out = []
    for i, p in enumerate(cfg.penalties):
        cls = PENALTIES.get(p.name)
        check_options(cls, p.options, f"penalties.{i}.options", skip=("weight", "every"))
        out.append(cls(weight=p.weight, every=p.every, **p.options))
    return out


def names_with(capability) -> str:
    """The registered objectives whose capabilities satisfy `capability`, for messages that list them."""
    return ", ".join(n for n in OBJECTIVES.names() if capability(OBJECTIVES.get(n).capabilities))


def complete_networks(cfg: Config) -> Config:
    """cfg with model.<name> and optim.<name> for exactly the networks its objective declares: those the config
    leaves out get the declared family and the default optimizer; a name the objective does not declare is a
    ConfigError. Changes cfg in place (the run's config.yaml then says what was built) and returns it."""
    cls = OBJECTIVES.get(cfg.objective.name)
    declared = cls.networks
    listing = ", ".join(declared) or "none"
    for section, entries in (("model", cfg.model.networks), ("optim", cfg.optim)):
        for name in list(entries):
            if name not in declared and name in cfg.inherited_networks:  # a preset's, for another objective
                del entries[name]
            elif name not in declared:
                raise ConfigError(f"config field {section}.{name}: objective {cfg.objective.name} has no network "
                                  f"{name!r}{did_you_mean(name, list(declared))} (its networks: {listing})")
    for name, slot in declared.items():
        if name not in cfg.model.networks and slot.optional:
            continue
        net = cfg.model.networks.setdefault(name, NetworkConfig())
        net.name = net.name or slot.default
        cfg.optim.setdefault(name, OptimizerConfig())
    return cfg


def build_objective(cfg: Config, spec: DataSpec) -> Objective:
    """The objective with freshly initialised networks, built from the config and the data's description."""
    cls = OBJECTIVES.get(cfg.objective.name)
    complete_networks(cfg)
    networks = {}
    for name, slot in cls.networks.items():
        if name not in cfg.model.networks:  # an optional network the config does not name
            continue
        net_cfg = cfg.model.networks[name]
        registry, outputs = ROLE_REGISTRIES[slot.role]
        built_in = {"spec": spec, "z_dim": cfg.model.z_dim, **({"outputs": outputs * cfg.model.z_dim} if outputs else {})}
        networks[name] = build_network(registry, net_cfg.name, net_cfg.options, f"model.{name}.options", **built_in)
    given = objective_arguments(cls, cfg, spec)
    return cls(networks, z_dim=cfg.model.z_dim, **given, **cfg.objective.options)


def objective_arguments(cls, cfg: Config, spec: DataSpec) -> dict:
    """What build_objective passes besides the networks and the options: penalties to objectives that declare
    they take them (a ConfigError for the others), the data's description to those whose signature asks."""
    check_options(cls, cfg.objective.options, "objective.options", skip=("networks", "penalties", "z_dim", "spec"))
    given = {"spec": spec} if "spec" in inspect.signature(cls).parameters else {}
    if not cls.capabilities.penalties and "penalties" in cfg.inherited_sections:
        cfg.penalties = []  # the preset's, for the objective it was written for
    if cls.capabilities.penalties:
        given["penalties"] = build_penalties(cfg)
    elif cfg.penalties:
        raise ConfigError(f"config field penalties: objective {cfg.objective.name} takes no critic penalties; remove "
                          f"them (objectives that take them: {names_with(lambda c: c.penalties)})")
    return given


def build_constraints(cfg: Config, objective: Objective) -> dict[str, list]:
    """Network name -> its constraints, attached to the network already (call before making optimizers)."""
    out: dict[str, list] = {name: [] for name in objective.nets}
    if "constraints" in cfg.inherited_sections:  # the preset's, on networks this objective may not build
        cfg.constraints = [c for c in cfg.constraints if c.network in out]
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


__all__ = ["OBJECTIVES", "PENALTIES", "CONSTRAINTS", "Batch", "Capabilities", "NetworkSlot", "Objective", "Phase",
           "build_objective", "build_constraints", "build_penalties", "complete_networks", "names_with",
           "ROLE_REGISTRIES"]
