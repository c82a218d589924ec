"""gankit command line: train | sample | list."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .config import Config, build_config
from .errors import ConfigError, GankitError

RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "log.")


def make_run_dir(cfg: Config) -> Path:
    """runs/<date>-<name>/, made unique with a counter if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(cfg.out_dir) / f"{stamp}-{cfg.name or 'run'}"
    path, i = base, 1
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    (path / "samples").mkdir(parents=True)
    (path / "checkpoints").mkdir()
    return path


def config_for_resume(run_dir: Path, overrides: list[str]) -> Config:
    from .train.checkpoint import find_checkpoint, load_checkpoint

    for text in overrides:
        key = text.split("=", 1)[0]
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              "(only train.steps, train.device, train.threads and log.*)")
    _, meta = load_checkpoint(find_checkpoint(run_dir))
    return build_config(meta["config"], overrides=overrides)


def cmd_train(args: argparse.Namespace) -> int:
    import yaml

    from .data import load_dataset
    from .experiment import build_experiment
    from .presets import DEFAULT, load_preset
    from .train.trainer import Trainer, require_resumable

    if args.resume:
        if args.preset or args.config:
            raise ConfigError("--resume takes the run's own config; drop the preset and --config")
        run_dir = Path(args.resume)
        require_resumable(run_dir)
        cfg = config_for_resume(run_dir, args.set)
    else:
        cfg = build_config(load_preset(args.preset or DEFAULT), [Path(p) for p in args.config], args.set)
    dataset = load_dataset(cfg.data.name, cfg.data.resolution)
    exp = build_experiment(cfg, dataset.spec)
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
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
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


def cmd_sample(args: argparse.Namespace) -> int:
    from .experiment import experiment_from_checkpoint
    from .viz import plot_points, save_image_grid

    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    use_ema = exp.ema is not None and not args.no_ema
    G = exp.sampler if use_ema else exp.objective.nets["G"]
    G.eval()
    z = exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed), device=exp.device)
    with torch.no_grad():
        x = G(z).cpu()
    out = Path(args.output) if args.output else Path(meta["path"]).parent.parent / "samples" / f"sample-seed{args.seed}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        np.savez(out, x=x.numpy())
    elif exp.spec.is_image:
        save_image_grid(x, out, nrow=args.nrow)
    else:
        plot_points(x[:, :2], out, title=f"{args.n} samples, step {meta['step']}")
    which = "EMA generator" if use_ema else "generator"
    print(f"wrote {args.n} samples of the {which} at step {meta['step']} to {out}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .data import dataset_names
    from .metrics import METRICS
    from .nn import DISCRIMINATORS, GENERATORS
    from .objectives import CONSTRAINTS, OBJECTIVES, PENALTIES
    from .presets import DEFAULT, preset_names, preset_summary
    from .train.schedule import SCHEDULES

    presets = [f"{n}  - {preset_summary(n)}{' (default)' if n == DEFAULT else ''}" for n in preset_names()]
    networks = sorted(set(GENERATORS.names()) | set(DISCRIMINATORS.names()))
    tables = {"datasets": dataset_names(), "networks": networks, "objectives": OBJECTIVES.names(),
              "penalties": PENALTIES.names(), "constraints": CONSTRAINTS.names(),
              "schedules": SCHEDULES.names(), "metrics": METRICS.names(), "presets": presets}
    for kind in [args.kind] if args.kind else tables:
        print(f"{kind}:")
        for name in tables[kind]:
            print(f"  {name}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gankit", description="Train, evaluate and compare adversarial generative models.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

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

    s = sub.add_parser("sample", help="write samples of a trained generator (no dataset needed)",
                       description="Sample a trained generator from a checkpoint or run directory.")
    s.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a .safetensors checkpoint or a run directory")
    s.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="output .png (grid, or scatter plot for 2-D data) or .npz (array x); "
                        "default RUN/samples/sample-seedS.png")
    s.add_argument("--seed", type=int, default=0, help="seed of the latent codes (default 0)")
    s.add_argument("--nrow", type=int, default=None, help="images per row of the grid (default: square)")
    s.add_argument("--no-ema", action="store_true", help="use the trained generator instead of its EMA copy")
    s.add_argument("--device", default=None, help="torch device (default: the run's)")
    s.set_defaults(func=cmd_sample)

    ls = sub.add_parser("list", help="list datasets, networks, objectives, penalties, presets, ...",
                        description="List the names the config and the CLI accept.")
    ls.add_argument("kind", nargs="?", choices=["datasets", "networks", "objectives", "penalties", "constraints",
                                                "schedules", "metrics", "presets"], help="one table only")
    ls.set_defaults(func=cmd_list)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    try:
        return args.func(args)
    except GankitError as err:
        print(f"gankit: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
