"""`gankit sample`: samples of a trained run, with no dataset needed."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from .common import add_generator_options, check_output, check_sample_count, positive_int, run_dir_of, save_npz

SUFFIXES = (".png", ".npz")  # what -o writes; --out-dir writes one PNG per sample


def cmd_sample(args: argparse.Namespace) -> int:
    from ..experiment import experiment_from_checkpoint
    from ..viz import plot_points, save_image_grid

    if args.output and args.out_dir:
        raise ConfigError("-o FILE and --out-dir DIR: choose one")
    if args.output:
        check_output(Path(args.output), SUFFIXES, make_folders=True)
    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    out = check_output(Path(args.output) if args.output else
                       run_dir_of(meta) / "samples" / f"sample-seed{args.seed}.png", SUFFIXES, make_folders=True)
    check_sample_count(args.n, exp.spec.shape, grid=not args.out_dir and out.suffix == ".png" and exp.spec.is_image)
    use_ema = exp.has_ema and not args.no_ema
    which = "EMA generator" if use_ema else "generator"
    z = exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed))
    if args.out_dir:
        from ..export import write_png_folder

        write_png_folder(exp, z, Path(args.out_dir), use_ema)
        print(f"wrote {args.n} PNG files of the {which} at step {meta['step']} to {args.out_dir}")
        return 0
    x = exp.generate(z, use_ema)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".npz":
        save_npz(out, x=x.numpy())
    elif exp.spec.is_image:
        save_image_grid(x, out, nrow=args.nrow)
    else:
        plot_points(x[:, :2], out, title=f"{args.n} samples, step {meta['step']}")
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
    s.add_argument("--out-dir", metavar="DIR",
                   help="write one PNG per sample (000000.png, ...) in chunks, with a progress bar: the folder "
                        "layout torch-fidelity, clean-fid and data.name=folder:DIR read")
    s.add_argument("--nrow", type=positive_int, default=None, help="images per row of the grid (default: square)")
    add_generator_options(s)
    s.set_defaults(func=cmd_sample)
