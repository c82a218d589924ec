"""Range checks of a config that types alone cannot express, with the bounds they use; each a one-line
ConfigError naming the field."""
from __future__ import annotations

from typing import Any

from .errors import ConfigError
from .registry import did_you_mean

LR_SCHEDULES = ("constant", "cosine", "step")
DATA_FITS = ("resize", "pad")
PRECISIONS = ("fp32", "bf16", "fp16", "auto")
OPTIMIZER_IMPLEMENTATIONS = ("auto", "fused", "foreach", "for-loop")
MAX_SEED = 2**63 - 1 - 16  # torch seeds are 64-bit; side streams add small offsets
MAX_SIZE = 1 << 20       # bound on counts a config (or an untrusted checkpoint's metadata) can ask for
MIN_EVAL_SAMPLES = 10    # FD needs a covariance, density / coverage 5 neighbours per sample
ON_DIVERGENCE = ("stop", "rollback")
ADA_GROUPS = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac",  # the paper's order
              "brightness", "contrast", "lumaflip", "hue", "saturation")


def _check(ok: bool, name: str, expected: str, value: Any) -> None:
    if not ok:
        raise ConfigError(f"config field {name}: expected {expected}, got {value!r}")


def validate(cfg):
    """The config, every range checked (types were checked as it was built)."""
    check_counts(cfg)
    check_run(cfg)
    check_train(cfg)
    for key, opt in cfg.optim.items():
        check_optimizer(key, opt)
    check_data(cfg)
    check_ada(cfg)
    return cfg


def check_counts(cfg) -> None:
    """Sizes and intervals: positive, and the ones that allocate bounded."""
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


def check_run(cfg) -> None:
    """Penalty weights, evaluation intervals, the seed and the run name."""
    for i, p in enumerate(cfg.penalties):
        _check(p.weight >= 0, f"penalties.{i}.weight", "a number >= 0", p.weight)
    for name in ("sample_every", "eval_every"):
        if getattr(cfg.log, name) < 0:
            raise ConfigError(f"config field log.{name}: expected 0 or more, got {getattr(cfg.log, name)}")
    _check(0 <= cfg.seed <= MAX_SEED, "seed", f"an integer from 0 to {MAX_SEED}", cfg.seed)
    _check(cfg.name == "" or (cfg.name not in (".", "..") and not any(c in cfg.name for c in "/\\\0")),
           "name", "a run name without path separators", cfg.name)


def check_train(cfg) -> None:
    """The train section: EMA, threads, precision and what a divergence does."""
    if cfg.train.precision not in PRECISIONS:
        raise ConfigError(f"config field train.precision: {cfg.train.precision!r}; choose from {', '.join(PRECISIONS)}")
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
    check_accumulate(cfg)


def check_accumulate(cfg) -> None:
    """train.accumulate: a positive divisor of data.batch_size (every micro-batch the same size)."""
    k, n = cfg.train.accumulate, cfg.data.batch_size
    _check(1 <= k <= MAX_SIZE, "train.accumulate", f"an integer from 1 to {MAX_SIZE}", k)
    if n % k:
        raise ConfigError(f"config field train.accumulate: data.batch_size {n} does not split into {k} equal "
                          f"micro-batches; choose a divisor of {n}")


def check_optimizer(key: str, opt) -> None:
    """optim.<key>: learning rate, betas, decay, clipping and the lr schedule."""
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
    if opt.implementation not in OPTIMIZER_IMPLEMENTATIONS:
        raise ConfigError(f"config field optim.{key}.implementation: {opt.implementation!r}"
                          f"{did_you_mean(opt.implementation, list(OPTIMIZER_IMPLEMENTATIONS))}; choose from "
                          f"{', '.join(OPTIMIZER_IMPLEMENTATIONS)}")
    for field_name in ("clip_value", "clip_norm", "warmup_steps", "decay_steps"):
        _check(getattr(opt, field_name) >= 0, f"optim.{key}.{field_name}", "0 or more", getattr(opt, field_name))


def check_data(cfg) -> None:
    """The data section's resolution, fit, workers, channels, class bound and subset size."""
    if cfg.data.resolution < 0 or cfg.data.resolution > 4096:
        raise ConfigError(f"config field data.resolution: expected 0 or a power of two up to 4096, got {cfg.data.resolution}")
    if cfg.data.fit not in DATA_FITS:
        raise ConfigError(f"config field data.fit: {cfg.data.fit!r}{did_you_mean(cfg.data.fit, list(DATA_FITS))}; "
                          f"choose from {', '.join(DATA_FITS)}")
    if cfg.data.workers < 0:
        raise ConfigError(f"config field data.workers: expected 0 or more, got {cfg.data.workers}")
    _check(0 <= cfg.data.channels <= 4, "data.channels", "0 (the files' layout), 1, 2, 3 or 4", cfg.data.channels)
    _check(1 <= cfg.data.max_classes <= MAX_SIZE, "data.max_classes", f"an integer from 1 to {MAX_SIZE}",
           cfg.data.max_classes)
    _check(0 <= cfg.data.subset <= MAX_SIZE, "data.subset", "0 (all items) or a positive number of items",
           cfg.data.subset)


def check_ada(cfg) -> None:
    """The ada section: target, interval, speed, starting p and the pipeline's group names."""
    ada = cfg.ada
    _check(0 <= ada.target < 1, "ada.target", "a value in [0, 1) (0 = off; the paper's 0.6)", ada.target)
    _check(ada.interval >= 1, "ada.interval", "a positive number of iterations", ada.interval)
    _check(ada.speed_images >= 1, "ada.speed_images", "a positive number of images", ada.speed_images)
    _check(0 <= ada.p_init <= 1, "ada.p_init", "a probability in [0, 1]", ada.p_init)
    _check(ada.warmup_steps >= 0, "ada.warmup_steps", "a number of iterations >= 0", ada.warmup_steps)
    # a compiled network runs its forward pre-hooks (where the augmentations draw) inside Inductor, whose random
    # generator is not torch's: neither eager's numbers nor exact resume would hold
    augmented = "ada.target" if ada.target > 0 else "augment" if cfg.augment.strip() else ""
    if augmented and cfg.train.compile:
        raise ConfigError(f"config field train.compile: not with {augmented} (augmentations would draw inside compiled "
                          f"code, from Inductor's random generator: resume would not be exact); set train.compile=false")
    names = [part.strip() for part in ada.pipeline.split(",") if part.strip()]
    _check(bool(names) or ada.target == 0, "ada.pipeline", "at least one group when ada.target is on", ada.pipeline)
    for name in names:
        if name not in ADA_GROUPS:
            hint = did_you_mean(name, list(ADA_GROUPS))
            raise ConfigError(f"config field ada.pipeline: unknown group {name!r}{hint}; "
                              f"choose from {', '.join(ADA_GROUPS)}")
