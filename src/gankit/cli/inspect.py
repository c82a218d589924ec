"""`gankit inspect`: diagnostics of a trained run."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from ..files import write_atomic
from .common import check_output, check_sample_count, dataset_of_run, positive_int, print_table, run_dir_of, seed_int

def lipschitz_setup(exp) -> str:
    """How the run kept its critic Lipschitz: the objective, the penalties it applies (its own and the config's),
    the constraints."""
    cfg = exp.cfg
    parts = [f"objective {cfg.objective.name}" + (f" {cfg.objective.options}" if cfg.objective.options else "")]
    parts += [f"penalty {p.name} (weight {p.weight:g}" + (f", every {p.every}" if p.every > 1 else "") + ")"
              for p in exp.objective.penalties]
    parts += [f"constraint {c.name} on {c.network}" + (f" {c.options}" if c.options else "") for c in cfg.constraints]
    if not exp.objective.penalties and not cfg.constraints:
        parts.append("no penalty or constraint")
    return "; ".join(parts)


def cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from ..diagnostics.lipschitz import inspect_lipschitz, plot_gradient_norms
    from ..training.experiment import experiment_from_checkpoint

    if args.output:
        check_output(Path(args.output), (".png",))
    exp, meta = experiment_from_checkpoint(Path(args.target), device=args.device)
    out = check_output(Path(args.output) if args.output else
                       Path(meta["path"]).parent.parent / f"lipschitz-step-{meta['step']:07d}.png", (".png",))
    check_sample_count(args.n, exp.spec.shape)
    if exp.objective.critic_module() is None:
        raise ConfigError(f"this run's objective {exp.cfg.objective.name!r} has no critic D(x) of its own to inspect")
    dataset = dataset_of_run(exp, args.data, run_dir_of(meta))
    real = dataset.sample(args.n, torch.Generator().manual_seed(args.seed)).to(exp.device)
    fake = exp.generate(exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed + 1)),
                        use_ema=False).to(exp.device)  # the generator D was trained against
    critic = exp.objective.critic_module()
    report = inspect_lipschitz(critic, real, fake)
    print(f"critic of step {meta['step']} ({meta['path']}): {lipschitz_setup(exp)}")
    print(f"||grad_x D|| on {args.n} samples per set (generated: the trained G, not its EMA)")
    stats = report.stats()
    print_table(stats)
    print(f"product of {len(report.layers)} layer operator norms: {report.product:.4g} "
          + ("(an upper bound on the Lipschitz constant)" if report.is_bound
             else "(not a bound: " + "; ".join(report.bound_caveats) + ")"))
    plot_gradient_norms(report, out, f"{exp.cfg.name}: critic gradient norms at step {meta['step']}")
    record = {"checkpoint": meta["path"], "step": meta["step"], "setup": lipschitz_setup(exp), "n": args.n,
              "gradient_norms": stats, "layers": dict(report.layers), "product": report.product,
              "is_bound": report.is_bound, "caveats": report.bound_caveats}
    json_path = out.with_suffix(".json")
    write_atomic(json_path, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out} and {json_path}")
    return 0


def add_parser(sub) -> None:
    ins = sub.add_parser("inspect", help="diagnostics of a trained run: the critic's Lipschitz constant",
                         description="lipschitz: gradient norms of the critic on real, generated and interpolated "
                                     "samples (mean, percentiles, max, a histogram PNG) and the product of its layers' "
                                     "operator norms, an upper bound when the critic is a chain of 1-Lipschitz parts; "
                                     "says which penalty or constraint the run used.")
    ins.add_argument("what", choices=["lipschitz"], help="what to inspect")
    ins.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory or a checkpoint")
    ins.add_argument("-n", type=positive_int, default=1000, help="samples per set (default 1000)")
    ins.add_argument("-o", "--output", metavar="FILE.png",
                     help="histogram PNG (a JSON goes beside it); default RUN/lipschitz-step-N.png")
    ins.add_argument("--data", help="the real data (default: the run's own when it is a built-in dataset; a folder: "
                                    "or npz: path from the checkpoint is read only when named here)")
    ins.add_argument("--seed", type=seed_int, default=0, help="seed of the real and latent draws (default 0)")
    ins.add_argument("--device", help="torch device (default: the run's)")
    ins.set_defaults(func=cmd_inspect)
