"""Optimizers by name from an OptimizerConfig (one per network, so TTUR is two learning rates), with parameter
groups by name pattern (layer-wise learning rates, docs/algorithms.md section 18), and `NetworkUpdate`, the step the
trainer takes for a network: gradient transforms and clipping, the lr schedule, then the optimizer's step."""
from __future__ import annotations

import fnmatch
import math

import torch
from torch import nn

from ..config import OptimizerConfig
from ..errors import ConfigError
from ..registry import check_options, did_you_mean
from .gradients import GRADIENT_TRANSFORMS

OPTIMIZERS = ("adam", "rmsprop", "sgd")


def make_optimizer(groups, cfg: OptimizerConfig, where: str) -> torch.optim.Optimizer:
    """The torch optimizer named by cfg over `groups` (parameters, or param-group dicts)."""
    build = implemented(cfg.implementation, where)
    if cfg.name == "adam":
        return build(torch.optim.Adam, groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay)
    if cfg.name == "rmsprop":  # no fused kernel; PyTorch picks foreach on CUDA by itself
        return build(torch.optim.RMSprop, groups, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps,
                     momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.name == "sgd":
        return build(torch.optim.SGD, groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    raise ConfigError(f"unknown optimizer {where}.name={cfg.name!r}{did_you_mean(cfg.name, list(OPTIMIZERS))}; "
                      f"choose from {', '.join(OPTIMIZERS)}")


def fused_if_supported(cls, params, **options) -> torch.optim.Optimizer:
    """The optimizer with its fused kernel (one kernel over all parameters; Adam's step about 3x faster on a
    CPU for the ring8 MLP) where this build and the parameters' device and dtype allow it, else the default."""
    try:
        return cls(params, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, **options)


def implemented(implementation: str, where: str):
    """How an optimizer is built for optim.<net>.implementation: auto (fused where supported), or fused, foreach
    (one multi-tensor kernel per operation) or for-loop (one parameter at a time) as asked; the same update."""
    if implementation == "auto":
        return fused_if_supported
    options = {"fused": {"fused": True}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}}[implementation]

    def build(cls, params, **kwargs) -> torch.optim.Optimizer:
        try:
            return cls(params, **options, **kwargs)
        except (RuntimeError, TypeError, ValueError) as err:
            raise ConfigError(f"config field {where}.implementation: {cls.__name__} has no {implementation} "
                              f"implementation for these parameters here ({str(err).splitlines()[0]}); use auto") from None
    return build


def select(named: list[tuple[str, nn.Parameter]], pattern: str, where: str) -> list[str]:
    """Names matching the glob; a pattern that matches nothing is a typo, so it is an error."""
    names = [n for n, _ in named if fnmatch.fnmatchcase(n, pattern)]
    if not names:
        shown = ", ".join(n for n, _ in named[:6]) + (", ..." if len(named) > 6 else "")
        raise ConfigError(f"{where}: pattern {pattern!r} matches no parameter of this network (it has {shown})")
    return names


def param_groups(named: list[tuple[str, nn.Parameter]], cfg: OptimizerConfig, where: str) -> list[dict]:
    """The optimizer's parameter groups: the parameters no pattern claims at the optimizer's own settings, then
    one group per config entry (a parameter belongs to the first entry whose pattern matches it)."""
    owner: dict[str, int] = {}
    for i, group in enumerate(cfg.groups):
        for name in select(named, group.params, f"{where}.groups.{i}.params"):
            owner.setdefault(name, i)
    default = [p for n, p in named if n not in owner]
    out = [{"params": default}] if default else []
    for i, group in enumerate(cfg.groups):
        params = [p for n, p in named if owner.get(n) == i]
        if params:
            decay = group.weight_decay if group.weight_decay >= 0 else cfg.weight_decay
            out.append({"params": params, "lr": cfg.lr * group.lr_scale, "weight_decay": decay})
    return out


def lr_factor(cfg: OptimizerConfig, step: int, total_steps: int) -> float:
    """The lr multiplier before optimizer step `step` (0-based): linear warm-up times the schedule."""
    warm = min(1.0, (step + 1) / cfg.warmup_steps) if cfg.warmup_steps else 1.0
    if cfg.lr_schedule == "step":
        return warm * cfg.decay_factor ** (step // cfg.decay_steps)
    if cfg.lr_schedule == "cosine":  # Loshchilov & Hutter (2017) without restarts, after the warm-up
        length = max(1, (cfg.decay_steps or total_steps) - cfg.warmup_steps)
        t = min(1.0, max(0.0, (step - cfg.warmup_steps) / length))
        return warm * (cfg.decay_factor + (1.0 - cfg.decay_factor) * 0.5 * (1.0 + math.cos(math.pi * t)))
    return warm


def stretched_schedule(name: str, cfg: OptimizerConfig, step: int, before: int, after: int,
                       scale: float = 1.0) -> str | None:
    """What a resume that moved train.steps does to a cosine schedule that spans it (decay_steps 0): a note
    with the lr at this step under the old and the new length (scale: what rollbacks left of it), or None
    where nothing moves."""
    if cfg.lr_schedule != "cosine" or cfg.decay_steps or before == after:
        return None
    old, new = (cfg.lr * scale * lr_factor(cfg, step, total) for total in (before, after))
    return (f"note: optim.{name}'s cosine schedule spans train.steps (its decay_steps is 0): {after} optimizer "
            f"steps now, not {before}, so its lr moves from {old:.3g} to {new:.3g} at this step")


class NetworkUpdate:
    """One network's update after backward(): transforms (then clip by value, then by norm) on its gradients,
    the scheduled lr, the optimizer's step. `num_steps` is its state (saved in every checkpoint)."""

    def __init__(self, net: nn.Module, cfg: OptimizerConfig, where: str, total_steps: int):
        named = list(net.named_parameters())
        self.optimizer = make_optimizer(param_groups(named, cfg, where), cfg, where)
        self.cfg, self.total_steps, self.num_steps = cfg, total_steps, 0
        self.lr_scale = 1.0  # lowered by divergence rollbacks (train.rollback_lr_factor); saved in checkpoints
        self.base_lrs = [group["lr"] for group in self.optimizer.param_groups]
        by_name = dict(named)
        self.transforms = []
        for i, t in enumerate(cfg.transforms):
            cls = GRADIENT_TRANSFORMS.get(t.name)
            check_options(cls, t.options, f"{where}.transforms.{i}.options")
            params = [by_name[n] for n in select(named, t.params, f"{where}.transforms.{i}.params")]
            self.transforms.append((cls(**t.options), params))
        every = [p for _, p in named]
        if cfg.clip_value:
            self.transforms.append((GRADIENT_TRANSFORMS.get("clip-value")(cfg.clip_value), every))
        if cfg.clip_norm:
            self.transforms.append((GRADIENT_TRANSFORMS.get("clip-norm")(cfg.clip_norm), every))

    def step(self, precision=None) -> None:
        """Transforms on true gradients (a loss-scaled fp16 backward is unscaled first), the scheduled lr, the
        optimizer's step (through `precision`, which skips a step on inf gradients under fp16)."""
        if precision is not None and self.transforms:
            precision.unscale(self.optimizer)
        for transform, params in self.transforms:
            transform(params)
        self.apply_lr()
        if precision is not None:
            precision.step(self.optimizer)
        else:
            self.optimizer.step()
        self.num_steps += 1

    def apply_lr(self) -> None:
        """Each group's lr: its base, times the schedule at this step, times the rollback scale."""
        factor = lr_factor(self.cfg, self.num_steps, self.total_steps) * self.lr_scale
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor

    def scale_lr(self, factor: float) -> None:
        """Multiplies every learning rate from now on (a divergence rollback lowers them)."""
        self.lr_scale *= factor
        self.apply_lr()
