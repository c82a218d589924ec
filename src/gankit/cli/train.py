"""`gankit train`: a new run from a preset and config layers, or the exact resume of one."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError


def cmd_train(args: argparse.Namespace) -> int:
    from ..api import build_run_config, config_for_resume, open_run, resume_point
    from ..training import distributed

    point = None
    if args.resume:
        if args.preset or args.config:
            raise ConfigError("--resume takes the run's own config; drop the preset and --config")
        point = resume_point(args.resume)
        cfg = config_for_resume(point, args.set)
    else:
        cfg = build_run_config(args.preset, [Path(p) for p in args.config], args.set)
    named = any(text.split("=", 1)[0] == "data.name" for text in args.set)
    trainer = open_run(cfg, args.resume, resume=point, data_named=named)  # what gankit.train() runs too
    say = print if distributed.is_main() else (lambda *a: None)  # under torchrun, rank 0 speaks
    if trainer.eval_plan.empty:
        say(f"note: no metric applies to dataset {cfg.data.name} (metrics need images, toy modes or digits); "
            "training logs losses only")
    if args.resume:
        for reason in trainer.skipped:
            say(f"skipped a checkpoint that does not load: {reason}")
        say(f"resuming {trainer.run_dir} from step {trainer.step}")
        if trainer.step >= cfg.train.steps:
            if distributed.is_main():
                trainer.open_run_dir()
                trainer.complete_interrupted()  # the final evaluation or samples a kill cut short
            say(f"the run is already at step {trainer.step} of {cfg.train.steps}; raise it with --set train.steps=N")
            return 0
        for note in trainer.stretched_schedules():
            say(note)
    say(f"run directory: {trainer.run_dir}" + (f" ({distributed.world_size()} processes)" if distributed.world_size() > 1 else ""))
    result = trainer.fit()
    if distributed.is_main():
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
