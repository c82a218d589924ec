"""`gankit encode | reconstruct | interpolate`: the latent side of a run."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from .common import (add_generator_options, add_run_and_data, check_output, count_or_all, data_for, positive_int,
                     run_dir_of, save_npz, seed_int)


def require_encoder(exp, command: str) -> None:
    """Before the data is read: a run without an encoder has nothing to encode or reconstruct with."""
    exp.require_encoder(command)


def cmd_encode(args: argparse.Namespace) -> int:
    from ..training.experiment import experiment_from_checkpoint

    out = check_output(Path(args.output), (".npz",))  # before the checkpoint is read
    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    require_encoder(exp, "encode")
    x, y = data_for(exp, args.data, args.n, args.seed, run_dir_of(meta))
    use_ema = exp.has_ema and not args.no_ema
    codes = exp.encode(x, use_ema)
    save_npz(out, z=codes.numpy(), **({} if y is None else {"y": y.numpy()}))
    print(f"wrote codes [{len(codes)}, {codes.shape[1]}] of {len(x)} items of {args.data or exp.cfg.data.name} "
          f"({'EMA encoder' if use_ema else 'encoder'} at step {meta['step']}) to {out}"
          + (" with their labels" if y is not None else ""))
    return 0


def picture_job(args: argparse.Namespace, command: str, needs_encoder: bool):
    """(experiment, metadata, output path, use_ema) for a command that writes an image grid (in any format
    Pillow writes) or an .npz; the output's suffix and folder are checked before the checkpoint is read, its
    format against the run's images before any work."""
    from ..training.experiment import experiment_from_checkpoint
    from ..picture_formats import check_grid_output, check_picture_suffix

    out = Path(args.output)
    check_picture_suffix(out, extra=(".npz",))
    check_output(out, (out.suffix.lower(),))
    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    if out.suffix.lower() != ".npz":
        if not exp.spec.is_image:
            raise ConfigError(f"{out}: {command} draws image grids; dataset {exp.spec.name} is vectors, write .npz")
        check_grid_output(out, exp.spec.channels, None)
    if needs_encoder:  # refused before the data is read
        require_encoder(exp, command)
    return exp, meta, out, exp.has_ema and not args.no_ema


def cmd_reconstruct(args: argparse.Namespace) -> int:
    from ..viz import save_image_grid

    exp, meta, out, use_ema = picture_job(args, "reconstruct", needs_encoder=True)
    x, _ = data_for(exp, args.data, args.n, args.seed, run_dir_of(meta))
    recon = exp.reconstruct(x, use_ema)
    if out.suffix.lower() == ".npz":
        save_npz(out, x=x.numpy(), reconstruction=recon.numpy())
    else:
        rows = [part for pair in zip(x.split(args.nrow), recon.split(args.nrow)) for part in pair]
        save_image_grid(torch.cat(rows), out, nrow=args.nrow)
    mse = float((x - recon).pow(2).mean())
    print(f"wrote {len(x)} items of {args.data or exp.cfg.data.name} and their reconstructions G(E(x)) "
          f"({'EMA generator' if use_ema else 'generator'}, step {meta['step']}; mean squared error {mse:.4f}) to {out}"
          + ("" if out.suffix.lower() == ".npz" else ": originals above reconstructions"))
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    from ..latent import interpolation_rows
    from ..viz import save_image_grid

    exp, meta, out, use_ema = picture_job(args, "interpolate --data" if args.data else "interpolate",
                                         needs_encoder=bool(args.data))
    generator = torch.Generator().manual_seed(args.seed)
    if args.data:  # between real items: their codes are the ends, the items themselves frame each row
        x, _ = data_for(exp, args.data, 0, args.seed, run_dir_of(meta))
        if len(x) < 2 * args.rows:
            raise ConfigError(f"--data {args.data} has {len(x)} items; {args.rows} rows need {2 * args.rows}")
        pick = torch.randperm(len(x), generator=generator)[: 2 * args.rows]
        ends = x[pick].view(2, args.rows, *x.shape[1:])
        codes = exp.encode(torch.cat([ends[0], ends[1]]), use_ema)
        starts, stops = codes[: args.rows], codes[args.rows:]
    else:
        starts, stops = exp.objective.sample_z(2 * args.rows, generator).split(args.rows)
    images = exp.generate(interpolation_rows(starts, stops, args.steps, args.mode), use_ema)
    if args.data:
        images = images.view(args.rows, args.steps, *images.shape[1:])
        images = torch.cat([ends[0][:, None], images, ends[1][:, None]], dim=1).flatten(0, 1)
    per_row = args.steps + (2 if args.data else 0)
    if out.suffix.lower() == ".npz":
        save_npz(out, x=images.view(args.rows, per_row, *images.shape[1:]).numpy())
    else:
        save_image_grid(images, out, nrow=per_row)
    what = f"between pairs of {args.data} items (shown at both ends)" if args.data else "between random latent codes"
    print(f"wrote {args.rows} rows of {args.steps}-step {args.mode} interpolation {what} "
          f"({'EMA generator' if use_ema else 'generator'}, step {meta['step']}) to {out}")
    return 0


def add_parser(sub) -> None:
    enc = sub.add_parser("encode", help="latent codes of data under a run's encoder (encoder GANs, autoencoders)",
                         description="Encode data with the run's encoder (objectives that declare one: encoder GANs and "
                                     "autoencoders) and write the codes (array z, and y when the data has labels) to an .npz file.")
    add_run_and_data(enc, "dataset to encode (gankit list datasets; folder:/npz: paths); default the run's")
    enc.add_argument("-n", type=count_or_all, default=0, help="items to encode (default: all of a finite dataset, else 1000)")
    enc.add_argument("-o", "--output", required=True, metavar="FILE.npz", help="output .npz")
    enc.add_argument("--seed", type=seed_int, default=0, help="seed of the draws from an infinite dataset (default 0)")
    enc.add_argument("--no-ema", action="store_true", help="use the trained encoder instead of its EMA copy")
    enc.add_argument("--device", default=None, help="torch device (default: the run's)")
    enc.set_defaults(func=cmd_encode)
    rec = sub.add_parser("reconstruct", help="originals above their reconstructions G(E(x)) (encoder GANs, autoencoders)",
                         description="Reconstruct data through the run's encoder and generator: a grid with each row "
                                     "of originals above the row of their reconstructions, or an .npz (x, reconstruction).")
    add_run_and_data(rec, "dataset to reconstruct (default the run's); e.g. digits-test for held-out digits")
    rec.add_argument("-n", type=positive_int, default=32, help="items, the first ones of the dataset (default 32)")
    rec.add_argument("-o", "--output", required=True, metavar="FILE", help="output picture grid (.png, .jpg, .webp, ... any format Pillow writes) or .npz")
    rec.add_argument("--nrow", type=positive_int, default=8, help="items per row (default 8)")
    add_generator_options(rec)
    rec.set_defaults(func=cmd_reconstruct)
    itp = sub.add_parser("interpolate", help="rows of generated images along latent paths",
                         description="Interpolate between pairs of random latent codes (any run), or with --data between "
                                     "the codes of pairs of real items (encoder runs), which frame each row.")
    add_run_and_data(itp, "encoder runs: interpolate between codes of random pairs of this dataset's items")
    itp.add_argument("-o", "--output", required=True, metavar="FILE", help="output picture grid (.png, .jpg, .webp, ...) or .npz [rows, steps, ...]")
    itp.add_argument("--rows", type=positive_int, default=8, help="interpolations, one per row (default 8)")
    itp.add_argument("--steps", type=positive_int, default=10, help="images per path, ends included (default 10)")
    itp.add_argument("--mode", choices=["slerp", "linear"], default="slerp",
                     help="spherical (default; keeps the norm Gaussian codes have) or linear interpolation")
    add_generator_options(itp)
    itp.set_defaults(func=cmd_interpolate)
