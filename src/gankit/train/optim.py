"""Optimizers by name from an OptimizerConfig (one per network, so TTUR is two learning rates)."""
from __future__ import annotations

import torch

from ..config import OptimizerConfig
from ..errors import ConfigError
from ..registry import did_you_mean

OPTIMIZERS = ("adam", "rmsprop", "sgd")


def build_optimizer(params, cfg: OptimizerConfig, where: str) -> torch.optim.Optimizer:
    params = list(params)
    if cfg.name == "adam":
        return fused_if_supported(torch.optim.Adam, params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                                  weight_decay=cfg.weight_decay)
    if cfg.name == "rmsprop":  # no fused kernel; PyTorch picks foreach on CUDA by itself
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps,
                                   momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.name == "sgd":
        return fused_if_supported(torch.optim.SGD, params, lr=cfg.lr, momentum=cfg.momentum,
                                  weight_decay=cfg.weight_decay)
    raise ConfigError(f"unknown optimizer {where}.name={cfg.name!r}{did_you_mean(cfg.name, list(OPTIMIZERS))}; "
                      f"choose from {', '.join(OPTIMIZERS)}")


def fused_if_supported(cls, params, **options) -> torch.optim.Optimizer:
    """The optimizer with its fused kernel (one kernel over all parameters; Adam's step about 3x faster on a
    CPU for the ring8 MLP) where this build and the parameters' device and dtype allow it, else the default."""
    try:
        return cls(params, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, **options)
