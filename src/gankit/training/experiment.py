"""An experiment: everything a config builds (networks, optimizers, EMA) and its checkpoint state."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..config import Config, from_dict, validate
from ..data import DataSpec
from ..errors import CheckpointError, ConfigError
from ..objectives import Objective, build_constraints, build_objective, names_with
from ..objectives.ada import AdaptiveAugment, attach_ada
from ..objectives.augment import attach_diffaugment
from ..objectives.base import evaluating
from .accumulation import check_accumulation
from .checkpoint import find_checkpoint, flatten_optimizer, load_checkpoint, restore_optimizer
from .compiled import check_compile_available
from .ema import EMA, ema_keys
from .layout import to_channels_last
from .optim import NetworkUpdate
from .schedule import SCHEDULES

@dataclass
class Experiment:
    cfg: Config
    spec: DataSpec
    objective: Objective
    optimizers: dict[str, torch.optim.Optimizer]
    constraints: dict[str, list]
    ema: dict[str, EMA]  # network name -> its EMA copy; empty when train.ema_decay is 0
    updates: dict[str, NetworkUpdate] = field(default_factory=dict)  # network name -> its step (owns optimizers[name])
    schedule: object = None      # how the phases run (train.schedule), built once here
    phases: list = field(default_factory=list)  # the phases it runs: the objective's, or one combined phase
    ada: AdaptiveAugment | None = None  # adaptive augmentation of the critic's inputs (ada.target > 0)

    @property
    def device(self) -> torch.device:
        return torch.device(self.cfg.train.device)

    @property
    def has_ema(self) -> bool:
        return bool(self.ema)

    def network(self, name: str, use_ema: bool = True) -> nn.Module:
        """A network, or its EMA copy when use_ema and there is one."""
        return self.ema[name].module if use_ema and name in self.ema else self.objective.nets[name]

    def networks(self, use_ema: bool = True) -> dict[str, nn.Module]:
        """Every network by name, the EMA copies where use_ema and there are some."""
        return {name: self.network(name, use_ema) for name in self.objective.nets}

    @torch.no_grad()
    def generate(self, z: torch.Tensor, use_ema: bool = True, chunk: int = 1024,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Samples from noise z (objective.sample_z) on the CPU, in eval mode, in chunks, the way the
        objective samples (G(z) for GANs); from the EMA copies unless use_ema is False."""
        nets = self.networks(use_ema)
        with evaluating(*nets.values()):
            return torch.cat([self.objective.generate(part.to(self.device), nets, generator).cpu()
                              for part in z.split(chunk)])

    @torch.no_grad()
    def encode(self, x: torch.Tensor, use_ema: bool = True, chunk: int = 1024) -> torch.Tensor:
        """Latent codes of data x on the CPU, in eval mode, by the EMA encoder unless use_ema is False; a
        ConfigError names the objective when it has no encoder."""
        self.require_encoder("encoding")
        E = self.network(self.objective.capabilities.encoder, use_ema)
        with evaluating(E):
            return torch.cat([self.objective.encode(part.to(self.device), E).cpu() for part in x.split(chunk)])

    @torch.no_grad()
    def code_statistics(self, x: torch.Tensor, use_ema: bool = True) -> dict[str, float]:
        """The objective's statistics of the codes of x (a quantizer's usage and perplexity), in eval mode."""
        nets = self.networks(use_ema)
        with evaluating(*nets.values()):
            return self.objective.code_statistics(x.to(self.device), nets)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, use_ema: bool = True, chunk: int = 1024) -> torch.Tensor:
        """x encoded and decoded (G(E(x)) for encoder GANs) with the EMA copies unless use_ema is False:
        a pair trained together."""
        self.require_encoder("reconstruction")
        nets = self.networks(use_ema)
        with evaluating(*nets.values()):
            return torch.cat([self.objective.reconstruct(part.to(self.device), nets).cpu() for part in x.split(chunk)])

    def require_encoder(self, purpose: str) -> None:
        """A ConfigError naming the objective and those that have an encoder, when this run's has none."""
        if self.objective.capabilities.encoder not in self.objective.nets:  # none, or an optional one not built
            raise ConfigError(f"{purpose}: this run's objective {self.cfg.objective.name!r} has no encoder (objectives "
                              f"with one: {names_with(lambda c: c.encoder)})")

    # --- checkpoint state -------------------------------------------------------------------

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Weights, EMA weights and optimizer states as flat tensors, plus JSON metadata."""
        tensors = {f"net.{k}": v for k, v in self.objective.nets.state_dict().items()}
        for name, ema in self.ema.items():
            prefix, counter = ema_keys(name)
            tensors.update({f"{prefix}{k}": v for k, v in ema.module.state_dict().items()})
            tensors[counter] = torch.tensor(ema.num_updates)
        tensors.update({f"objective.{k}": v for k, v in self.objective.extra_state().items()})
        tensors.update(self.ada.state() if self.ada is not None else {})
        optim_meta = {}
        for name, opt in self.optimizers.items():
            t, optim_meta[name] = flatten_optimizer(opt, f"optim.{name}")
            tensors.update(t)
        tensors.update({f"lr_schedule.{name}": torch.tensor(u.num_steps) for name, u in self.updates.items()})
        tensors.update({f"lr_scale.{name}": torch.tensor(u.lr_scale, dtype=torch.float64) for name, u in self.updates.items()})
        meta = {"config": self.cfg.to_dict(), "spec": self.spec.to_dict(), "optim": optim_meta}
        return tensors, meta

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: Path) -> None:
        load_module(self.objective.nets, tensors, "net.", source)
        for name, ema in self.ema.items():
            prefix, counter = ema_keys(name)
            load_module(ema.module, tensors, prefix, source)
            if counter not in tensors or tensors[counter].numel() != 1:
                raise CheckpointError(f"{source}: no tensor {counter} (the EMA's update count)")
            ema.num_updates = int(tensors[counter])
        self.objective.load_extra_state({k[len("objective."):]: v for k, v in tensors.items()
                                         if k.startswith("objective.")})
        if self.ada is not None:
            self.ada.load_state(tensors)
        for name, opt in self.optimizers.items():
            if not isinstance(meta["optim"].get(name), dict):
                raise CheckpointError(f"{source}: metadata optim.{name} is missing or not a mapping")
            restore_optimizer(opt, tensors, meta["optim"][name], f"optim.{name}", source)
        for name, update in self.updates.items():  # checkpoints from before lr schedules start at 0, scale 1
            update.num_steps = int(tensors.get(f"lr_schedule.{name}", torch.tensor(0)))
            update.lr_scale = float(tensors.get(f"lr_scale.{name}", torch.tensor(1.0)))


def load_module(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str, source: Path) -> None:
    """Loads tensors[prefix + key] into module; a missing key or other shape is a CheckpointError."""
    own = module.state_dict()
    for key, value in own.items():
        saved = tensors.get(prefix + key)
        if saved is None:
            raise CheckpointError(f"{source}: no tensor {prefix + key}; the checkpoint is from another config")
        if saved.shape != value.shape:
            raise CheckpointError(f"{source}: {prefix + key} has shape {list(saved.shape)}, the config builds "
                                  f"{list(value.shape)}; the checkpoint is from an incompatible config")
    module.load_state_dict({k: tensors[prefix + k] for k in own})


def check_device(name: str, where: str = "train.device") -> torch.device:
    """The torch device `name`, or a ConfigError if it is not one or not on this machine."""
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"{where}: {name!r} is not a torch device (cpu, cuda, cuda:1, mps)") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise ConfigError(f"{where}: {name!r} is not available on this machine "
                          f"({torch.cuda.device_count()} CUDA device(s)); use cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"{where}: mps is not available on this machine; use cpu")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"{where}: device type {device.type!r} is not supported; use cpu or cuda")
    return device


def build_experiment(cfg: Config, spec: DataSpec) -> Experiment:
    """Seeds torch, then builds networks, optimizers, constraints and the EMA copies of objective.ema_networks."""
    check_device(cfg.train.device)
    if cfg.train.compile:  # a machine without a compiler: refused before a run directory is made
        check_compile_available(torch.device(cfg.train.device))
    torch.manual_seed(cfg.seed)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    objective = build_objective(cfg, spec)
    critic = objective.capabilities.critic  # the network whose first input is the data (a joint D's too)
    attach_diffaugment(objective.nets[critic] if critic in objective.nets else None, cfg.augment, spec.is_image)
    ada = attach_ada(objective, cfg, spec.shape)
    constraints = build_constraints(cfg, objective)  # spectral norm changes the parameters: before optimizers
    objective.to(cfg.train.device)
    check_accumulation(cfg.train.accumulate, objective.nets)
    if cfg.train.channels_last:
        to_channels_last(objective.nets)
    schedule = SCHEDULES.get(cfg.train.schedule)(cfg.train)
    phases = schedule.phases(objective)
    updates = {}
    steps = optimizer_steps(cfg, objective, schedule.plan(phases))
    for name, net in objective.nets.items():
        updates[name] = NetworkUpdate(net, cfg.optim[name], f"optim.{name}", steps[name])
    optimizers = {name: update.optimizer for name, update in updates.items()}
    ema = {name: EMA(objective.nets[name], cfg.train.ema_decay) for name in objective.ema_networks
           if name in objective.nets and cfg.train.ema_decay > 0}
    return Experiment(cfg, spec, objective, optimizers, constraints, ema, updates, schedule, phases, ada)


def optimizer_steps(cfg: Config, objective: Objective, plan: list) -> dict[str, int]:
    """How many optimizer steps each network takes in train.steps iterations (a critic with n_critic 5 takes
    5 per iteration): the length an lr schedule spans when its decay_steps is 0. It follows the config, so a
    resume that raises train.steps stretches such a schedule from there on (set decay_steps to pin it)."""
    return {name: cfg.train.steps * max(1, sum(r for phase, r in plan if name in phase.networks))
            for name in objective.nets}


def experiment_from_checkpoint(run_or_file: Path, device: str | None = None) -> tuple[Experiment, dict]:
    """Rebuilds an experiment from a checkpoint alone (no dataset); returns it and the metadata. The file may
    come from elsewhere: its config and data description are validated and its tensor shapes checked
    against what the config builds before anything is allocated."""
    path = find_checkpoint(Path(run_or_file))
    tensors, meta = load_checkpoint(path)
    try:
        cfg = validate(from_dict(Config, meta["config"]))
    except ConfigError as err:
        raise CheckpointError(f"{path}: its config is not valid for this gankit ({err})") from None
    if device:
        cfg.train.device = device
    cfg.train.compile = False  # what reads a checkpoint samples and evaluates, which run eager (no compiler needed)
    spec = spec_from_meta(meta["spec"], path)
    check_shapes_before_building(cfg, spec, tensors, path)
    exp = build_experiment(cfg, spec)
    exp.load_state(tensors, meta, path)
    meta["path"] = str(path)
    return exp, meta


MAX_ITEM_VALUES = 3 * 1024 * 1024  # one data item: up to 3 x 1024 x 1024 values


def spec_from_meta(d, path: Path) -> DataSpec:
    """The DataSpec a checkpoint records, with every field's type and range checked."""
    try:
        spec = DataSpec.from_dict(d)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: metadata 'spec' is not a data description ({type(err).__name__}: {err})") from None
    shape_ok = len(spec.shape) in (1, 3) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                                 for v in spec.shape)
    if not shape_ok or math.prod(spec.shape) > MAX_ITEM_VALUES:
        raise CheckpointError(f"{path}: metadata spec.shape {list(spec.shape)} is not an item shape gankit makes "
                              f"([d] or [C, H, W], at most {MAX_ITEM_VALUES} values)")
    if not isinstance(spec.name, str) or not isinstance(spec.bounded, bool) or not all(isinstance(m, str) for m in spec.metrics) \
            or not isinstance(spec.num_classes, int) or spec.num_classes < 0:
        raise CheckpointError(f"{path}: metadata 'spec' has fields of the wrong type ({d})")
    return spec


def check_shapes_before_building(cfg: Config, spec: DataSpec, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Builds the config's networks on the meta device (no memory) and compares every weight's shape with the
    file's, so a config asking for huge networks fails before they are allocated: the file's own tensors,
    already read, bound what gets built."""
    check_device(cfg.train.device)
    try:
        with torch.device("meta"):
            objective = build_objective(cfg, spec)
            build_constraints(cfg, objective)
    except ConfigError as err:
        raise CheckpointError(f"{path}: its config does not build ({err})") from None
    for key, value in objective.nets.state_dict().items():
        saved = tensors.get(f"net.{key}")
        if saved is None:
            raise CheckpointError(f"{path}: no tensor net.{key}; the checkpoint does not match its own config")
        if saved.shape != value.shape:
            raise CheckpointError(f"{path}: net.{key} has shape {list(saved.shape)}, its config builds "
                                  f"{list(value.shape)}; the checkpoint does not match its own config")
