"""Nested config dataclasses, YAML presets and files, dotted `--set` overrides, validation."""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .registry import did_you_mean


@dataclass
class DataConfig:
    name: str = "digits"   # dataset (gankit list datasets); folder:PATH and npz:PATH read files
    resolution: int = 0    # images: side after resize + center crop (power of two); 0 keeps the native size
    fit: str = "resize"    # images brought to data.resolution by: resize (centre crop, antialiased resize) or pad
                           # (centred, the border -1 = black; larger sides only). Native sizes the networks
                           # cannot take are padded to the next side they take (gankit.sizing)
    batch_size: int = 64   # samples per phase step
    stream: bool = False   # folder / zip: decode images lazily as batches are drawn, instead of all up front
    workers: int = 0       # DataLoader worker processes decoding a streamed dataset (0: in the training process)
    channels: int = 0      # folder / zip images: 0 keeps the files' layout; 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    max_classes: int = 10000  # labels making more classes than this are refused (raise it for more classes)


@dataclass
class NetworkConfig:
    name: str = ""         # network family (gankit list networks); '' = the one the objective declares
    options: dict = field(default_factory=dict)  # keyword arguments of that network, e.g. {hidden: 256}


@dataclass
class ModelConfig:
    """Written and read as one mapping: z_dim, then model.<network> for each network the objective declares
    (G and D for a GAN, f for IGN, an outside objective's own names); the objective fills in the ones not named."""
    z_dim: int = 32        # dimension of the latent z ~ N(0, I)
    networks: dict[str, NetworkConfig] = field(default_factory=dict)  # network name -> its family and options

    def to_dict(self) -> dict:
        return {"z_dim": self.z_dim, **{k: _plain(dataclasses.asdict(v)) for k, v in self.networks.items()}}

    @classmethod
    def from_mapping(cls, data: Any, path: str) -> "ModelConfig":
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"config field {path}: expected a mapping, got {data!r}")
        networks = {}
        for key, value in data.items():
            if key == "z_dim":
                continue
            if not isinstance(key, str) or not key.isidentifier():
                raise ConfigError(f"config field {path}.{key}: a network name is a word (letters, digits, _)")
            networks[key] = from_dict(NetworkConfig, value, f"{path}.{key}")
        z_dim = _scalar(data.get("z_dim", cls.z_dim), int, f"{path}.z_dim")
        return cls(z_dim, networks)


@dataclass
class ObjectiveConfig:
    name: str = "wgan-gp"  # objective (gankit list objectives)
    options: dict = field(default_factory=dict)  # keyword arguments of that objective, e.g. {gp_weight: 10}


@dataclass
class PenaltyConfig:
    name: str = "gp"       # penalty on the critic (gankit list penalties), added to its loss
    weight: float = 10.0   # multiplier of the penalty in the critic loss
    every: int = 1         # lazy interval: applied every this many critic steps, weight multiplied by it
    options: dict = field(default_factory=dict)  # keyword arguments of that penalty


@dataclass
class ConstraintConfig:
    name: str = "weight-clip"  # constraint (gankit list constraints): a reparametrization or a projection
    network: str = "D"         # the network it changes
    options: dict = field(default_factory=dict)  # keyword arguments, e.g. {value: 0.01}


@dataclass
class ParamGroupConfig:
    params: str = "*"          # glob over parameter names (gankit inspect names them), e.g. "project.*"; first match wins
    lr_scale: float = 1.0      # multiplier of the optimizer's lr for these parameters (layer-wise learning rates)
    weight_decay: float = -1.0  # their weight decay; negative keeps the optimizer's


@dataclass
class TransformConfig:
    name: str = "scale"        # gradient transform (gankit list gradient-transforms), applied between backward and step
    params: str = "*"          # glob over parameter names it applies to
    options: dict = field(default_factory=dict)  # keyword arguments, e.g. {factor: 0.5}


LR_SCHEDULES = ("constant", "cosine", "step")
DATA_FITS = ("resize", "pad")


@dataclass
class OptimizerConfig:
    name: str = "adam"     # adam | rmsprop | sgd
    lr: float = 1e-4       # learning rate
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's (beta1, beta2)
    momentum: float = 0.0  # SGD and RMSprop momentum
    alpha: float = 0.99    # RMSprop smoothing constant
    eps: float = 1e-8      # Adam / RMSprop denominator epsilon
    weight_decay: float = 0.0  # L2 penalty added by the optimizer
    groups: list[ParamGroupConfig] = field(default_factory=list)  # per-parameter lr multipliers / weight decay
    transforms: list[TransformConfig] = field(default_factory=list)  # gradient transforms, in order
    clip_value: float = 0.0    # clamp every gradient entry to [-v, v] before the step; 0 = off
    clip_norm: float = 0.0     # rescale the network's gradient to total norm <= this; 0 = off
    lr_schedule: str = "constant"  # constant | cosine | step, counted in this network's optimizer steps
    warmup_steps: int = 0      # linear warm-up from lr / warmup_steps to lr over this many steps
    decay_steps: int = 0       # cosine: its length (0 = train.steps); step: steps between drops
    decay_factor: float = 0.1  # step: lr multiplier per drop; cosine: the final lr as a fraction of lr


@dataclass
class TrainConfig:
    steps: int = 2000          # iterations; each ends with the generator phase
    n_critic: int = 5          # critic-phase updates per iteration
    n_generator: int = 1       # generator-phase updates per iteration
    schedule: str = "alternating"  # how phases run (gankit list schedules)
    ema_decay: float = 0.999   # 0 disables the EMA copy of G
    device: str = "cpu"        # torch device, e.g. cpu or cuda
    threads: int = 1           # torch CPU threads; 1 holds up when other jobs share the cores (README: Robustness); 0 keeps torch's default (all cores)
    precision: str = "fp32"    # fp32 | bf16 | fp16 (autocast; fp16 with a loss scaler)
    sync_batchnorm: bool = False  # under torchrun on CUDA: BatchNorm statistics over the global batch
    divergence_factor: float = 1000.0  # a loss, gradient or weight norm this many times its running level is a divergence; 0 turns the check off
    on_divergence: str = "stop"  # stop (exit 2, naming quantity and step) | rollback (last good checkpoint, lower lr, go on)
    rollback_lr_factor: float = 0.5  # every learning rate is multiplied by this at each rollback
    max_rollbacks: int = 3     # a divergence after this many rollbacks stops the run


@dataclass
class LogConfig:
    log_every: int = 50        # steps between metrics.jsonl loss lines
    sample_every: int = 500    # steps between sample pictures; 0 = only at the end
    eval_every: int = 500      # steps between metric evaluations; 0 = only at the end
    checkpoint_every: int = 1000  # steps between checkpoints; the last step is always saved
    keep_checkpoints: int = 2  # how many recent checkpoints to keep on disk
    num_samples: int = 64      # images in the fixed-z sample grid (points for 2-D data: eval_samples)
    eval_samples: int = 2500   # generated samples per metric evaluation
    progress: bool = True      # show a progress bar
    tensorboard: bool = False  # also log scalars and sample pictures to RUN/tensorboard (gankit[tensorboard])


@dataclass
class Config:
    name: str = ""             # run name; defaults to the preset's name
    seed: int = 0              # seeds every random number in the run
    out_dir: str = "runs"      # parent folder of run directories
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    penalties: list[PenaltyConfig] = field(default_factory=list)
    constraints: list[ConstraintConfig] = field(default_factory=list)
    optim: dict[str, OptimizerConfig] = field(default_factory=dict)  # network name -> its optimizer (defaults filled in)
    train: TrainConfig = field(default_factory=TrainConfig)
    log: LogConfig = field(default_factory=LogConfig)
    augment: str = ""          # DiffAugment of the critic's inputs, e.g. color,translation,cutout ('' = none)

    # not a config field: networks a preset named for another objective (build_config), dropped if not built
    inherited_networks = frozenset()

    def to_dict(self) -> dict:
        out = _plain(dataclasses.asdict(self))
        out["model"] = self.model.to_dict()
        return out


# --- building from plain dicts, with type checks --------------------------------------------

PRECISIONS = ("fp32", "bf16", "fp16")
_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false", dict: "a mapping"}


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the dict dumps as YAML / JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _convert(value: Any, tp: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is ModelConfig:  # one mapping of z_dim and networks named by the objective
        return ModelConfig.from_mapping(value, path)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, path)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"config field {path}: expected a list, got {value!r}")
        return [_convert(v, item_tp, f"{path}.{i}") for i, v in enumerate(value)]
    if origin is dict:
        _, item_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"config field {path}: expected a mapping, got {value!r}")
        return {str(k): _convert(v, item_tp, f"{path}.{k}") for k, v in value.items()}
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ConfigError(f"config field {path}: expected a list of {len(args)} numbers, got {value!r}")
        return tuple(_convert(v, a, f"{path}.{i}") for i, (v, a) in enumerate(zip(value, args)))
    return _scalar(value, tp, path)


def _scalar(value: Any, tp: type, path: str) -> Any:
    if tp is float and isinstance(value, str):
        try:  # YAML 1.1 reads 1e-4 (no dot) as a string
            value = float(value)
        except ValueError:
            pass
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            raise ConfigError(f"config field {path}: {value} is too large for a number") from None
    if tp is float and isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config field {path}: expected a finite number, got {value}")
    if isinstance(value, tp) and not (tp is not bool and isinstance(value, bool)):
        return value
    if tp is str and isinstance(value, dict) and len(value) == 1:  # YAML read `folder:` or `folder: x` as a mapping
        key, inner = next(iter(value.items()))
        if inner is None:
            raise ConfigError(f"config field {path}: {key}: names no path after the colon; write {path}={key}:PATH")
        raise ConfigError(f"config field {path}: read as the mapping {value!r}; drop the space after the colon or quote it")
    raise ConfigError(f"config field {path}: expected {_TYPE_WORDS.get(tp, tp.__name__)}, got {value!r}")


def from_dict(cls: type, data: Any, path: str = "") -> Any:
    """Builds dataclass `cls` from a plain dict; unknown keys and wrong types raise ConfigError."""
    where = path or "config"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config field {where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        full = f"{path}.{key}" if path else str(key)
        if key not in names:
            hint = did_you_mean(str(key), names) or f"; {where} takes {', '.join(names)}"
            raise ConfigError(f"unknown config key {full!r}{hint}")
        kwargs[key] = _convert(value, hints[key], full)
    return cls(**kwargs)


def deep_merge(base: dict, update: dict) -> dict:
    """`update` over `base`; mappings merge key by key, everything else is replaced. A mapping that
    names another component (a new `name`) or is empty replaces the old one, so options of the old
    component do not leak into the new one."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        renamed = isinstance(value, dict) and isinstance(old, dict) and value.get("name", old.get("name")) != old.get("name")
        if isinstance(value, dict) and isinstance(old, dict) and value and not renamed:
            out[key] = deep_merge(old, value)
        elif isinstance(old, list) and isinstance(value, dict) and value and all(str(k).isdigit() for k in value):
            out[key] = merge_items(old, value, key)  # --set penalties.0.weight=1 changes one item
        else:
            out[key] = value
    return out


def merge_items(items: list, update: dict, key: str) -> list:
    """The list with item i merged with update[i] for every index i in update."""
    out = list(items)
    for index, value in update.items():
        i = int(index)
        if i >= len(out):
            raise ConfigError(f"config field {key}.{i}: the list has {len(out)} item(s), numbered from 0")
        out[i] = deep_merge(out[i], value) if isinstance(out[i], dict) and isinstance(value, dict) else value
    return out


def parse_override(text: str) -> dict:
    """'train.steps=2000' -> {'train': {'steps': 2000}}; the value is read as YAML."""
    if "=" not in text:
        raise ConfigError(f"override {text!r}: expected KEY=VALUE, e.g. train.steps=2000")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {text!r}: empty key part")
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    return data


MAX_SEED = 2**63 - 1 - 16  # torch seeds are 64-bit; side streams add small offsets
MAX_SIZE = 1 << 20       # bound on counts a config (or an untrusted checkpoint's metadata) can ask for
MIN_EVAL_SAMPLES = 10    # FD needs a covariance, density / coverage 5 neighbours per sample
ON_DIVERGENCE = ("stop", "rollback")


def _check(ok: bool, name: str, expected: str, value: Any) -> None:
    if not ok:
        raise ConfigError(f"config field {name}: expected {expected}, got {value!r}")


def validate(cfg: Config) -> Config:
    """Range checks that types alone cannot express."""
    positive = {
        "data.batch_size": cfg.data.batch_size, "model.z_dim": cfg.model.z_dim,
        "train.steps": cfg.train.steps, "train.n_critic": cfg.train.n_critic,
        "train.n_generator": cfg.train.n_generator, "log.log_every": cfg.log.log_every,
        "log.checkpoint_every": cfg.log.checkpoint_every, "log.keep_checkpoints": cfg.log.keep_checkpoints,
        "log.num_samples": cfg.log.num_samples, "log.eval_samples": cfg.log.eval_samples,
        **{f"penalties.{i}.every": p.every for i, p in enumerate(cfg.penalties)},
    }
    for name, value in positive.items():
        if value < 1:
            raise ConfigError(f"config field {name}: expected a positive integer, got {value}")
    for name in ("data.batch_size", "model.z_dim", "train.n_critic", "train.n_generator", "log.num_samples",
                 "log.eval_samples"):
        value = positive[name]
        _check(value <= MAX_SIZE, name, f"at most {MAX_SIZE}", value)
    _check(cfg.log.eval_samples >= MIN_EVAL_SAMPLES, "log.eval_samples",
           f"at least {MIN_EVAL_SAMPLES} (FD and the k-nearest-neighbour metrics need several samples)", cfg.log.eval_samples)
    for i, p in enumerate(cfg.penalties):
        _check(p.weight >= 0, f"penalties.{i}.weight", "a number >= 0", p.weight)
    for name in ("sample_every", "eval_every"):
        if getattr(cfg.log, name) < 0:
            raise ConfigError(f"config field log.{name}: expected 0 or more, got {getattr(cfg.log, name)}")
    _check(0 <= cfg.seed <= MAX_SEED, "seed", f"an integer from 0 to {MAX_SEED}", cfg.seed)
    _check(cfg.name == "" or (cfg.name not in (".", "..") and not any(c in cfg.name for c in "/\\\0")),
           "name", "a run name without path separators", cfg.name)
    _check(0.0 <= cfg.train.ema_decay < 1.0, "train.ema_decay", "a value in [0, 1)", cfg.train.ema_decay)
    _check(cfg.train.threads >= 0, "train.threads", "0 (torch's default) or a positive number of threads",
           cfg.train.threads)
    _check(cfg.train.divergence_factor == 0 or cfg.train.divergence_factor > 1, "train.divergence_factor",
           "0 (off) or a number above 1", cfg.train.divergence_factor)
    _check(cfg.train.on_divergence in ON_DIVERGENCE, "train.on_divergence", " or ".join(ON_DIVERGENCE),
           cfg.train.on_divergence)
    _check(0 < cfg.train.rollback_lr_factor < 1, "train.rollback_lr_factor", "a value in (0, 1)",
           cfg.train.rollback_lr_factor)
    _check(cfg.train.max_rollbacks >= 0, "train.max_rollbacks", "0 or more", cfg.train.max_rollbacks)
    for key, opt in cfg.optim.items():
        _check(opt.lr > 0, f"optim.{key}.lr", "a positive number", opt.lr)
        _check(all(0.0 <= b < 1.0 for b in opt.betas), f"optim.{key}.betas", "two values in [0, 1)", list(opt.betas))
        _check(opt.eps > 0, f"optim.{key}.eps", "a positive number", opt.eps)
        _check(opt.momentum >= 0, f"optim.{key}.momentum", "0 or more", opt.momentum)
        _check(0 <= opt.alpha <= 1, f"optim.{key}.alpha", "a value in [0, 1]", opt.alpha)
        _check(opt.weight_decay >= 0, f"optim.{key}.weight_decay", "0 or more", opt.weight_decay)
        _check(0.0 <= opt.decay_factor <= 1.0, f"optim.{key}.decay_factor", "a value in [0, 1]", opt.decay_factor)
        for i, group in enumerate(opt.groups):
            _check(group.lr_scale > 0, f"optim.{key}.groups.{i}.lr_scale", "a positive number", group.lr_scale)
        if opt.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"config field optim.{key}.lr_schedule: {opt.lr_schedule!r}"
                              f"{did_you_mean(opt.lr_schedule, list(LR_SCHEDULES))}; choose from {', '.join(LR_SCHEDULES)}")
        if opt.lr_schedule == "step" and opt.decay_steps < 1:
            raise ConfigError(f"config field optim.{key}.decay_steps: the step schedule needs a positive interval")
        for field_name in ("clip_value", "clip_norm", "warmup_steps", "decay_steps"):
            _check(getattr(opt, field_name) >= 0, f"optim.{key}.{field_name}", "0 or more", getattr(opt, field_name))
    if cfg.data.resolution < 0 or cfg.data.resolution > 4096:
        raise ConfigError(f"config field data.resolution: expected 0 or a power of two up to 4096, got {cfg.data.resolution}")
    if cfg.train.precision not in PRECISIONS:
        raise ConfigError(f"config field train.precision: {cfg.train.precision!r}; choose from {', '.join(PRECISIONS)}")
    if cfg.data.fit not in DATA_FITS:
        raise ConfigError(f"config field data.fit: {cfg.data.fit!r}{did_you_mean(cfg.data.fit, list(DATA_FITS))}; "
                          f"choose from {', '.join(DATA_FITS)}")
    if cfg.data.workers < 0:
        raise ConfigError(f"config field data.workers: expected 0 or more, got {cfg.data.workers}")
    _check(0 <= cfg.data.channels <= 4, "data.channels", "0 (the files' layout), 1, 2, 3 or 4", cfg.data.channels)
    _check(1 <= cfg.data.max_classes <= MAX_SIZE, "data.max_classes", f"an integer from 1 to {MAX_SIZE}",
           cfg.data.max_classes)
    return cfg


def objective_changes(data: dict, layer: dict) -> bool:
    """True when `layer` names an objective other than the one `data` has so far."""
    objective = layer.get("objective")
    new_name = objective.get("name") if isinstance(objective, dict) else None
    return bool(new_name) and new_name != data.get("objective", {}).get("name")


def network_names(layer: dict) -> set[str]:
    """The network names a config layer mentions under model and optim."""
    names = set()
    for section in ("model", "optim"):
        if isinstance(layer.get(section), dict):
            names |= {str(k) for k in layer[section] if k != "z_dim"}
    return names


def build_config(base: dict | None = None, files: list[Path] = (), overrides: list[str] = (),
                 layers: list[dict] = ()) -> Config:
    """Defaults <- preset dict <- layers <- config files <- --set overrides, then type and range checks. Networks
    that a preset named for one objective and a later layer's objective may not declare are remembered in
    `inherited_networks`: the objective drops those it does not build, where a name the user wrote is an error."""
    data = deep_merge(Config().to_dict(), base or {})
    inherited: set[str] = set()
    for layer in [*layers, *(read_yaml(p) for p in files), *(parse_override(t) for t in overrides)]:
        if objective_changes(data, layer):
            inherited |= network_names(data)
        data = deep_merge(data, layer)
        inherited -= network_names(layer)
    cfg = validate(from_dict(Config, data))
    cfg.inherited_networks = inherited
    return cfg
