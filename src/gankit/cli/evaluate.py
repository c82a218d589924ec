"""`gankit eval`: a run's metrics, or the digits baseline ladder."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from ..train.checkpoint import write_atomic
from .common import add_chain_option, add_generator_options, apply_chain_option, print_table

def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from ..data import load_dataset
    from ..experiment import experiment_from_checkpoint
    from ..metrics import METRICS

    if args.target == "baselines":
        return eval_baselines(args)
    exp, meta = experiment_from_checkpoint(Path(args.target), device=args.device)
    names = args.metrics.split(",") if args.metrics else list(exp.spec.metrics)
    with_encoder = exp.objective.has_encoder and (not args.metrics or "encoder" in names)
    if "encoder" in names and not exp.objective.has_encoder:
        raise ConfigError(f"--metrics encoder: this run's objective {exp.cfg.objective.name!r} has no encoder")
    names = [n for n in names if n != "encoder"]
    if not names and not with_encoder and args.features != "inception":
        raise ConfigError(f"dataset {exp.spec.name} lists no metrics; name some with --metrics (gankit list metrics)")
    dataset = load_dataset(exp.cfg.data.name, exp.cfg.data.resolution)
    apply_chain_option(exp, args.chains_from)
    use_ema = exp.has_ema and not args.no_ema
    n = args.n or exp.cfg.log.eval_samples
    samples = exp.generate(exp.objective.sample_z(n, torch.Generator().manual_seed(args.seed)), use_ema)
    print(f"evaluating {n} samples of the {'EMA generator' if use_ema else 'generator (no EMA)'} "
          f"at step {meta['step']} ({meta['path']})")
    results = {}
    if args.features == "inception":
        results.update(inception_metrics(samples, dataset, args.inception_weights))
    else:
        for name in names:
            for key, value in METRICS.get(name)(samples, dataset).items():
                results[f"{name}/{key}"] = value
    if with_encoder:
        from ..metrics.encoder import encoder_metrics

        results.update({f"encoder/{k}": v for k, v in encoder_metrics(exp, dataset, use_ema).items()})
    print_table({"": results})
    out = Path(args.output) if args.output else Path(meta["path"]).parent.parent / f"eval-step-{meta['step']:07d}.json"
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "n": n, "seed": args.seed,
              "metrics": results}
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def inception_metrics(samples: torch.Tensor, dataset, weights: str | None) -> dict:
    """FD, KID, precision / recall, density / coverage in Inception features against as many real images."""
    from ..metrics.digits import feature_set_metrics
    from ..metrics.inception import cached_features, inception_extractor, weights_id

    if not dataset.spec.is_image:
        raise ConfigError(f"--features inception needs image data; {dataset.spec.name} is vectors")
    extract = inception_extractor(weights)
    real = dataset.sample(len(samples), torch.Generator().manual_seed(0))
    real_features = cached_features(real, extract, weights_id(weights))
    out = feature_set_metrics(real_features, extract(samples).double(), kid=True)
    return {f"inception/{k}": v for k, v in out.items()} | {"inception/extractor": weights_id(weights)}


def eval_baselines(args: argparse.Namespace) -> int:
    """The digits ladder of benchmarks.md section 3, in evaluator features against the held-out digits."""
    import json

    from ..metrics import digits_metrics
    from ..metrics.baselines import BASELINES, N

    rows = {name: digits_metrics(sampler(N, args.seed)) for name, sampler in BASELINES.items()}
    print_table(rows)
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")
        print(f"wrote {args.output}")
    return 0


def add_parser(sub) -> None:
    e = sub.add_parser("eval", help="compute metrics of a trained generator, or the digits baseline ladder",
                       description="Evaluate a run's generator (the EMA copy by default) with its dataset's metrics; "
                                   "prints a table and writes JSON. 'gankit eval baselines' prints the digits ladder.")
    e.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory, a checkpoint, or 'baselines'")
    e.add_argument("--metrics", help="comma-separated metric names (gankit list metrics, and encoder for encoder GANs); "
                                     "default: the dataset's, plus the encoder metrics where the run has an encoder")
    e.add_argument("-n", type=int, default=0, help="samples to draw (default: the run's log.eval_samples; "
                                                   "digits metrics use the first 797)")
    e.add_argument("-o", "--output", metavar="FILE", help="JSON output (default RUN/eval-step-N.json)")
    e.add_argument("--features", choices=["dataset", "inception"], default="dataset",
                   help="dataset: the metrics the dataset lists (digits evaluator, toy modes); inception: FD / KID / "
                        "precision / recall / density / coverage in Inception-v3 features (needs gankit[inception])")
    e.add_argument("--inception-weights", metavar="PATH", help="local Inception-v3 weights for --features inception")
    add_generator_options(e)
    add_chain_option(e)
    e.set_defaults(func=cmd_eval)
