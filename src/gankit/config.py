"""The config: nested dataclasses with a one-line comment per field, built from layers (config_layers) and
range-checked (config_checks)."""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_checks import ADA_GROUPS, DATA_FITS, LR_SCHEDULES, MAX_SEED, MAX_SIZE, MIN_EVAL_SAMPLES, PRECISIONS, validate  # noqa: F401
from .config_layers import deep_merge, network_names, objective_changes, parse_override, read_yaml  # noqa: F401
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
    stream: bool = False   # folder / zip / emoji: decode images lazily as batches are drawn, not all up front
    workers: int = 0       # DataLoader worker processes decoding a streamed dataset (0: in the training process)
    channels: int = 0      # folder / zip / emoji images: 0 keeps the files' layout; 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    max_classes: int = 10000  # labels making more classes than this are refused (raise it for more classes)
    subset: int = 0        # train on this many items, a fixed random choice (the same in every seed); metrics still
                           # compare with the whole set (0: all)
    mirror: bool = False   # images: the dataset doubled with each image's horizontal mirror (StyleGAN2-ADA's --mirror)


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
    implementation: str = "auto"  # auto (fused kernel where supported) | fused | foreach | for-loop: the same update, computed differently


@dataclass
class TrainConfig:
    steps: int = 2000          # iterations; each ends with the generator phase
    n_critic: int = 5          # critic-phase updates per iteration
    n_generator: int = 1       # generator-phase updates per iteration
    schedule: str = "alternating"  # how phases run (gankit list schedules)
    ema_decay: float = 0.999   # 0 disables the EMA copy of G
    device: str = "cpu"        # torch device, e.g. cpu or cuda
    threads: int = 1           # torch CPU threads; 1 holds up when other jobs share the cores (README: Robustness); 0 keeps torch's default (all cores)
    precision: str = "fp32"    # fp32 | bf16 | fp16 (autocast; fp16 with a loss scaler) | auto (bf16 where the device has native bf16, else fp32)
    accumulate: int = 1        # micro-batches per optimizer step: each phase's batch in this many parts, gradients summed (no BatchNorm)
    channels_last: bool = False  # conv networks and image batches in channels-last memory format (same results)
    compile: bool = False      # torch.compile the networks (a phase whose backward differentiates twice runs eager)
    sync_batchnorm: bool = False  # under torchrun on CUDA: BatchNorm statistics over the global batch
    divergence_factor: float = 1000.0  # a loss, gradient or weight norm this many times its running level is a divergence; 0 turns the check off
    on_divergence: str = "stop"  # stop (exit 2, naming quantity and step) | rollback (last good checkpoint, lower lr, go on)
    rollback_lr_factor: float = 0.5  # every learning rate is multiplied by this at each rollback
    max_rollbacks: int = 3     # a divergence after this many rollbacks stops the run


@dataclass
class AdaConfig:
    """Adaptive discriminator augmentation (docs/algorithms.md section 24): the critic's inputs augmented with
    probability p, p steered so that E[sign(D(x_real))] stays near the target."""
    target: float = 0.0        # r_t that p is steered to; 0 = ADA off, the paper's 0.6 when on; in [0, 1)
    interval: int = 4          # iterations between adjustments of p (the paper's 4)
    speed_images: int = 100000  # real images D scores while p can move from 0 to 1 (the paper's 500k; 100k so
                                # p can react within a CPU run of a few thousand steps of 64 images)
    pipeline: str = ",".join(ADA_GROUPS)  # groups, any subset (all 12 by default), run in the paper's order
    p_init: float = 0.0        # p at the first step
    warmup_steps: int = 0      # iterations before p may move (r_t is measured and logged meanwhile): an untrained
                               # critic separates the first batches, which drives p up for nothing


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
    ada: AdaConfig = field(default_factory=AdaConfig)

    # not config fields: what a preset set for another objective than the run's (build_config): networks the
    # objective does not declare, penalties it does not take and constraints on networks it does not build are dropped
    inherited_networks = frozenset()
    inherited_sections = frozenset()

    def to_dict(self) -> dict:
        out = _plain(dataclasses.asdict(self))
        out["model"] = self.model.to_dict()
        return out


# --- building from plain dicts, with type checks --------------------------------------------

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


def build_config(base: dict | None = None, files: list[Path] = (), overrides: list[str] = (),
                 layers: list[dict] = ()) -> Config:
    """Defaults <- preset dict <- layers <- config files <- --set overrides, then type and range checks. Networks
    that a preset named for one objective and a later layer's objective may not declare are remembered in
    `inherited_networks`: the objective drops those it does not build, where a name the user wrote is an error."""
    data = deep_merge(Config().to_dict(), base or {})
    written: set[str] = set()  # network names and sections the user's own layers mention
    changed = False            # whether a user layer names another objective than the preset's
    for layer in [*layers, *(read_yaml(p) for p in files), *(parse_override(t) for t in overrides)]:
        changed = changed or objective_changes(data, layer)
        data = deep_merge(data, layer)
        written |= network_names(layer) | {k for k in ("penalties", "constraints") if k in layer}
    cfg = validate(from_dict(Config, data))
    if changed:  # what the preset set for its own objective: dropped where the new one cannot use it
        cfg.inherited_networks = frozenset(network_names(base or {}) - written)
        cfg.inherited_sections = frozenset({"penalties", "constraints"} - written)
    return cfg
