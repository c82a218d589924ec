"""`gankit sample`: samples of a trained run, with no dataset needed."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .common import add_chain_option, add_generator_options, apply_chain_option, positive_int, save_npz

def cmd_sample(args: argparse.Namespace) -> int:
    from ..experiment import experiment_from_checkpoint
    from ..viz import plot_points, save_image_grid

    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    apply_chain_option(exp, args.chains_from)
    use_ema = exp.has_ema and not args.no_ema
    x = exp.generate(exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed)), use_ema)
    out = Path(args.output) if args.output else Path(meta["path"]).parent.parent / "samples" / f"sample-seed{args.seed}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        save_npz(out, x=x.numpy())
    elif exp.spec.is_image:
        save_image_grid(x, out, nrow=args.nrow)
    else:
        plot_points(x[:, :2], out, title=f"{args.n} samples, step {meta['step']}")
    which = "EMA generator" if use_ema else "generator"
    print(f"wrote {args.n} samples of the {which} at step {meta['step']} to {out}")
    return 0


def add_parser(sub) -> None:
    s = sub.add_parser("sample", help="write samples of a trained generator (no dataset needed)",
                       description="Sample a trained generator from a checkpoint or run directory.")
    s.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a .safetensors checkpoint or a run directory")
    s.add_argument("-n", type=positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="output .png (grid, or scatter plot for 2-D data) or .npz (array x); "
                        "default RUN/samples/sample-seedS.png")
    s.add_argument("--nrow", type=int, default=None, help="images per row of the grid (default: square)")
    add_generator_options(s)
    add_chain_option(s)
    s.set_defaults(func=cmd_sample)
