"""`gankit train`: a new run from a preset and config layers, or the exact resume of one."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Config, build_config
from ..errors import CheckpointError, ConfigError
from ..rundir import make_run_dir
from ..train.checkpoint import write_atomic

RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "train.divergence_factor", "train.on_divergence",
                     "train.rollback_lr_factor", "train.max_rollbacks", "log.")


def config_for_resume(run_dir: Path, overrides: list[str]) -> Config:
    from ..train.checkpoint import newest_loadable

    for text in overrides:
        key = text.split("=", 1)[0]
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              f"(only {', '.join(k + '*' if k.endswith('.') else k for k in RESUME_CHANGEABLE)})")
    path, _, meta, _ = newest_loadable(run_dir)
    try:
        return build_config(meta["config"], overrides=overrides)
    except ConfigError as err:
        raise CheckpointError(f"{path}: its config is not valid for this gankit ({err})") from None


def cmd_train(args: argparse.Namespace) -> int:
    import yaml

    from ..data import load_dataset
    from ..experiment import build_experiment, check_shapes_before_building
    from ..presets import DEFAULT, load_preset
    from ..train.checkpoint import newest_loadable
    from ..train.trainer import Trainer, require_resumable

    if args.resume:
        if args.preset or args.config:
            raise ConfigError("--resume takes the run's own config; drop the preset and --config")
        run_dir = Path(args.resume)
        require_resumable(run_dir)
        cfg = config_for_resume(run_dir, args.set)
    else:
        cfg = build_config(load_preset(args.preset or DEFAULT), [Path(p) for p in args.config], args.set)
    dataset = load_dataset(cfg.data.name, cfg.data.resolution)
    if args.resume:  # the file's shapes against its config before anything big is allocated
        path, tensors, _, _ = newest_loadable(run_dir)
        check_shapes_before_building(cfg, dataset.spec, tensors, path)
    exp = build_experiment(cfg, dataset.spec)
    if args.resume:
        trainer = Trainer(exp, dataset, run_dir)
        path = trainer.resume()
        for reason in trainer.skipped:
            print(f"skipped a checkpoint that does not load: {reason}")
        print(f"resuming {run_dir} from step {trainer.step} ({path.name})")
        if trainer.step >= cfg.train.steps:
            print(f"the run is already at step {trainer.step} of {cfg.train.steps}; raise it with --set train.steps=N")
            return 0
    else:
        run_dir = make_run_dir(cfg)
        trainer = Trainer(exp, dataset, run_dir)
    text = yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    write_atomic(run_dir / "config.yaml", lambda tmp: Path(tmp).write_text(text))
    print(f"run directory: {run_dir}")
    result = trainer.fit()
    print_summary(result)
    return 130 if result["interrupted"] else 0


def print_summary(result: dict) -> None:
    if result["interrupted"]:
        run_dir = Path(result["checkpoint"]).parent.parent
        print(f"stopped at step {result['step']}; resume with: gankit train --resume {run_dir}")
    print(f"samples:    {result['samples']}")
    print(f"checkpoint: {result['checkpoint']}")
    for key, value in result["metrics"].items():
        print(f"  {key:<20} {value:.4g}" if isinstance(value, float) else f"  {key:<20} {value}")


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train a model from a preset and/or config files",
                       description="Train a model. With no arguments: the default preset (DCGAN + WGAN-GP on the "
                                   "bundled digits). Layers, last wins: preset, --config files, --set overrides.")
    t.add_argument("preset", nargs="?", help="preset name (gankit list presets); default digits-wgan-gp")
    t.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="YAML file merged over the preset (repeatable)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one field by dotted path, e.g. --set train.steps=2000 (repeatable)")
    t.add_argument("--resume", metavar="RUN_DIR",
                   help="continue a run from its newest checkpoint, exactly; --set may change train.steps and log.*")
    t.set_defaults(func=cmd_train)
