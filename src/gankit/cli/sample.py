"""`gankit sample`: samples of a trained run, with no dataset needed."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from ..picture_formats import check_picture_suffix
from .common import (add_chain_option, add_generator_options, add_sampler_steps_option, apply_chain_option,
                     check_finite_generator, check_folder, check_output, check_sample_count, positive_int, run_dir_of,
                     save_npz, set_sampling_option)

DATA_SUFFIXES = (".npz",)  # besides every picture format (Pillow's for grids, matplotlib's for 2-D plots)


def cmd_sample(args: argparse.Namespace) -> int:
    from ..training.experiment import experiment_from_checkpoint

    if args.output and args.out_dir:
        raise ConfigError("-o FILE and --out-dir DIR: choose one")
    if args.out_dir and (args.quality is not None or args.apply):
        raise ConfigError(f"{'--quality' if args.quality is not None else '--apply'} shapes the -o picture; "
                          "--out-dir writes one PNG per sample: drop one of them")
    if args.output:  # a suffix nothing writes is refused before the checkpoint is read
        check_picture_suffix(Path(args.output), extra=DATA_SUFFIXES)
        check_output(Path(args.output), (Path(args.output).suffix.lower(),), make_folders=True)
    if args.out_dir:
        check_folder(Path(args.out_dir), "--out-dir")
    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    out = Path(args.output) if args.output else run_dir_of(meta) / "samples" / f"sample-seed{args.seed}.png"
    if args.out_dir:
        check_sample_count(args.n, exp.spec.shape)
    described = "" if args.out_dir else check_sample_output(args, exp, out)
    apply_chain_option(exp, args.chains_from, args.steps)
    use_ema = exp.has_ema and not args.no_ema
    which = "EMA generator" if use_ema else "generator"
    z = exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed))
    if args.class_index is not None:
        z = exp.objective.with_class(z, args.class_index)
    check_finite_generator(exp, z, use_ema, meta["path"])
    if args.out_dir:
        from ..export import write_png_folder

        write_png_folder(exp, z, Path(args.out_dir), use_ema)
        print(f"wrote {args.n} PNG files of the {which} at step {meta['step']} to {args.out_dir}")
        return 0
    nrow = args.nrow or class_rows(exp.objective, z, args.class_index)
    if args.apply:
        x, nrow = applied(exp, z, args.apply, use_ema), args.n
    else:
        x = exp.generate(z, use_ema)
    write_samples(x, out, exp.spec.is_image, nrow, args.quality, f"{len(x)} samples, step {meta['step']}")
    sampling = exp.objective.describe_sampling()  # a diffusion sampler's cost, where it has one
    print(f"wrote {len(x)} samples of the {which} at step {meta['step']} to {out}{described}"
          + (f" (sampled by {sampling})" if sampling else ""))
    return 0


def check_sample_output(args: argparse.Namespace, exp, out: Path) -> str:
    """Before sampling: the output's folder, its format for this run's data (an image grid in a format Pillow
    writes, a plot of 2-D points in one matplotlib writes, or .npz) and the sample count it can hold; returns
    what the user is told about a lossy format's quality."""
    from ..picture_formats import LOSSY_QUALITY, check_grid_output, check_plot_output, described

    check_output(out, (out.suffix.lower(),), make_folders=True)
    if out.suffix.lower() in DATA_SUFFIXES:
        if args.quality is not None:
            raise ConfigError(f"--quality: {out.suffix} holds the samples' values, not a picture")
        check_sample_count(args.n * max(1, args.apply), exp.spec.shape)
        return ""
    check_sample_count(args.n * max(1, args.apply), exp.spec.shape, grid=exp.spec.is_image)
    if exp.spec.is_image:
        fmt = check_grid_output(out, exp.spec.channels, args.quality)
    else:
        fmt = check_plot_output(out, args.quality)
    return described(fmt, args.quality or LOSSY_QUALITY)


def write_samples(x: torch.Tensor, out: Path, is_image: bool, nrow: int | None, quality: int | None, title: str) -> None:
    """.npz (array x), an image grid, or a plot of the first two coordinates, as the suffix says."""
    from ..viz import plot_points, save_image_grid

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in DATA_SUFFIXES:
        save_npz(out, x=x.numpy())
    elif is_image:
        save_image_grid(x, out, nrow=nrow, quality=quality)
    else:
        plot_points(x[:, :2], out, title=title, quality=quality)


def class_rows(objective, z: torch.Tensor, class_index: int | None) -> int | None:
    """Images per row such that each row is one class, for class-conditional runs whose n is a multiple of the
    number of classes (sample_z puts the classes in equal blocks); None (a square grid) otherwise."""
    classes = objective.requested_classes(z)
    if classes is None or class_index is not None:
        return None
    k = int(classes.max()) + 1
    return len(z) // k if len(z) % k == 0 else None


def applied(exp, z: torch.Tensor, times: int, use_ema: bool) -> torch.Tensor:
    """f(z), f(f(z)), ... as `times` blocks of len(z) (objectives that sample by applying one network, e.g. IGN);
    prints how far each application moves the samples, mean over pixels of |f^k(z) - f^(k-1)(z)|."""
    steps, previous = [], z
    for k in range(1, times + 1):
        set_sampling_option(exp, "applications", k, "--apply")
        steps.append(exp.generate(z, use_ema))
        moved = float((steps[-1] - previous.view_as(steps[-1])).abs().mean())
        print(f"application {k}: mean |f^{k}(z) - f^{k - 1}(z)| = {moved:.4f}")
        previous = steps[-1]
    return torch.cat(steps)


def quality_percent(text: str) -> int:
    """argparse type of --quality: a whole number from 1 to 100."""
    value = positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"expected a quality from 1 to 100, got {value}")
    return value


def add_parser(sub) -> None:
    s = sub.add_parser("sample", help="write samples of a trained generator (no dataset needed)",
                       description="Sample a trained generator from a checkpoint or run directory.")
    s.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a .safetensors checkpoint or a run directory")
    s.add_argument("-n", type=positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="output picture (a grid of images, or a plot of 2-D samples) in any format Pillow writes, "
                        "by its suffix: .png, .jpg, .webp, .tif, ... (.pdf, .svg for plots), or .npz (array x); "
                        "default RUN/samples/sample-seedS.png")
    s.add_argument("--quality", type=quality_percent, default=None, metavar="Q",
                   help="JPEG / WebP / AVIF quality from 1 to 100 (default 95; lossless formats take none)")
    s.add_argument("--out-dir", metavar="DIR",
                   help="write one PNG per sample (000000.png, ...) in chunks, with a progress bar: the folder "
                        "layout torch-fidelity, clean-fid and data.name=folder:DIR read")
    s.add_argument("--nrow", type=positive_int, default=None,
                   help="images per row of the grid (default: square; one class per row for class-conditional "
                        "runs when n is a multiple of the number of classes, e.g. -n 100)")
    s.add_argument("--class", dest="class_index", type=int, default=None,
                   help="class-conditional runs: every sample of this class (default: all classes in equal blocks)")
    s.add_argument("--apply", type=positive_int, default=0, metavar="K",
                   help="IGN: apply f K times and write f(z), f(f(z)), ... one row each (and print how far each moves)")
    add_generator_options(s)
    add_chain_option(s)
    add_sampler_steps_option(s)
    s.set_defaults(func=cmd_sample)
