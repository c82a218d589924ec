"""`gankit train`: a new run from a preset and config layers, or the exact resume of one."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Config, build_config
from ..errors import ConfigError
from ..rundir import make_run_dir
from ..train.checkpoint import write_atomic

RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "log.")


def config_for_resume(run_dir: Path, overrides: list[str]) -> Config:
    from ..train.checkpoint import find_checkpoint, load_checkpoint

    for text in overrides:
        key = text.split("=", 1)[0]
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              "(only train.steps, train.device, train.threads and log.*)")
    _, meta = load_checkpoint(find_checkpoint(run_dir))
    return build_config(meta["config"], overrides=overrides)


def cmd_train(args: argparse.Namespace) -> int:
    import yaml

    from ..data import absolute_data_name, dataset_for
    from ..experiment import build_experiment
    from ..presets import DEFAULT, load_preset
    from ..recipes import is_recipe, recipe_config
    from ..train.trainer import Trainer, require_resumable

    if args.resume:
        if args.preset or args.config:
            raise ConfigError("--resume takes the run's own config; drop the preset and --config")
        run_dir = Path(args.resume)
        require_resumable(run_dir)
        cfg = config_for_resume(run_dir, args.set)
    else:
        if is_recipe(args.preset):  # a model recipe for any data: networks chosen by the data's shape
            cfg = recipe_config(args.preset, [Path(p) for p in args.config], args.set)
        else:
            cfg = build_config(load_preset(args.preset or DEFAULT), [Path(p) for p in args.config], args.set)
        cfg.data.name = absolute_data_name(cfg.data.name)  # eval / inspect / resume from any directory
    dataset = dataset_for(cfg.data)
    exp = build_experiment(cfg, dataset.spec)
    if not dataset.spec.metrics and not exp.objective.has_encoder:
        print(f"note: no metric applies to dataset {cfg.data.name} (metrics need images, toy modes or digits); "
              "training logs losses only")
    if args.resume:
        trainer = Trainer(exp, dataset, run_dir)
        path = trainer.resume()
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
    t.add_argument("preset", nargs="?", help="a recipe for any data (sngan, wgan-gp, dcgan: set data.name) or a "
                                             "benchmark preset (gankit list presets); default digits-wgan-gp")
    t.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="YAML file merged over the preset (repeatable)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one field by dotted path, e.g. --set train.steps=2000 (repeatable)")
    t.add_argument("--resume", metavar="RUN_DIR",
                   help="continue a run from its newest checkpoint, exactly; --set may change train.steps and log.*")
    t.set_defaults(func=cmd_train)
