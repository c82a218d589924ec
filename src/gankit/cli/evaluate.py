"""`gankit eval`: a run's metrics, or the digits baseline ladder."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from ..training.checkpoint import write_atomic
from .common import (add_chain_option, add_generator_options, add_is_splits_option, apply_chain_option, check_is_splits,
                     check_output, check_sample_count, dataset_of_run, positive_int, print_table, run_dir_of)


def eval_count(text: str) -> int:
    """argparse type of eval -n: 0 (the run's log.eval_samples) or at least MIN_EVAL_SAMPLES."""
    from ..config import MIN_EVAL_SAMPLES

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value != 0 and value < MIN_EVAL_SAMPLES:
        raise argparse.ArgumentTypeError(f"expected at least {MIN_EVAL_SAMPLES} samples (metrics need several), "
                                         f"or 0 for the run's log.eval_samples; got {value}")
    return value


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from ..experiment import experiment_from_checkpoint
    from ..metrics import check_metrics_apply, evaluate
    from ..training.outputs import EVAL_SEED_OFFSET

    if args.output:
        check_output(Path(args.output), (".json",))
    if args.likelihood and args.is_splits is not None:
        raise ConfigError("--is-splits: --likelihood reports a log-likelihood, no inception score; drop one of them")
    if args.likelihood and (args.metrics or args.features == "inception"):
        raise ConfigError("--likelihood reports a held-out log-likelihood instead of sample metrics; drop "
                          + ("--metrics" if args.metrics else "--features inception") + " or --likelihood")
    if args.target == "baselines":
        return eval_baselines(args)
    exp, meta = experiment_from_checkpoint(Path(args.target), device=args.device)
    if args.likelihood:
        return eval_likelihood(args, exp, meta)
    n = args.n or exp.cfg.log.eval_samples
    check_sample_count(n, exp.spec.shape)
    out = check_output(Path(args.output) if args.output else
                       run_dir_of(meta) / f"eval-step-{meta['step']:07d}.json", (".json",))
    names = args.metrics.split(",") if args.metrics else list(exp.spec.metrics)
    if not exp.objective.can_generate:  # a VQ-VAE: nothing to sample, its encoder and codebook are what it has
        if (args.metrics and names != ["encoder"]) or args.features == "inception":
            raise ConfigError(f"this run's objective {exp.cfg.objective.name!r} cannot sample; only --metrics encoder applies")
        names = ["encoder"]
    with_encoder = exp.objective.has_encoder and (not args.metrics or "encoder" in names)
    if "encoder" in names and not exp.objective.has_encoder:
        raise ConfigError(f"--metrics encoder: this run's objective {exp.cfg.objective.name!r} has no encoder")
    names = [n for n in names if n != "encoder"]
    if not names and not with_encoder and args.features != "inception":
        raise ConfigError(f"dataset {exp.spec.name} lists no metrics; name some with --metrics (gankit list metrics)")
    if args.data is None:  # the run's own data, known from the checkpoint: refused before it is read
        check_metrics_apply(names, exp.spec)
    dataset = dataset_of_run(exp, args.data, run_dir_of(meta))
    check_metrics_apply(names, dataset.spec)  # what --data gives, before any sample is drawn
    apply_chain_option(exp, args.chains_from)
    use_ema = exp.has_ema and not args.no_ema
    if args.features == "inception":  # the weights file and the data's kind, before any sample is drawn
        from ..metrics.inception import resolve_weights

        if not dataset.spec.is_image:
            raise ConfigError(f"--features inception needs image data; {dataset.spec.name} is vectors")
        resolve_weights(args.inception_weights)
    check_is_splits(args.is_splits, n, names, args.features == "inception")
    seed = exp.cfg.seed + EVAL_SEED_OFFSET if args.seed is None else args.seed  # default: training's eval draw
    if names or args.features == "inception":
        z = exp.objective.sample_z(n, torch.Generator().manual_seed(seed))
        samples = exp.generate(z, use_ema)
        print(f"evaluating {n} samples of the {'EMA generator' if use_ema else 'generator (no EMA)'} "
              f"at step {meta['step']} ({meta['path']})")
    else:
        print(f"evaluating the {'EMA ' if use_ema else ''}encoder at step {meta['step']} ({meta['path']})")
    results = {}
    if args.features == "inception":
        results.update(inception_metrics(samples, dataset, args.inception_weights, args.is_splits))
    elif names:
        results.update(evaluate(samples, dataset, exp.objective.requested_classes(z), names, args.is_splits))
    if with_encoder:
        from ..metrics.encoder import encoder_metrics

        results.update({f"encoder/{k}": v for k, v in encoder_metrics(exp, dataset, use_ema).items()})
    print_table({"": results})
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "n": n, "seed": seed,
              "metrics": results}
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def eval_likelihood(args: argparse.Namespace, exp, meta: dict) -> int:
    """Importance-sampled log-likelihood of held-out data (the 797 benchmark digits for digits runs)."""
    import json

    from ..autoencoders.likelihood import check_likelihood_applies, likelihood_report
    from ..metrics.encoder import held_out

    check_likelihood_applies(exp)  # before the held-out data is read
    out = check_output(Path(args.output) if args.output else
                       run_dir_of(meta) / f"likelihood-step-{meta['step']:07d}.json", (".json",))
    x = held_out(dataset_of_run(exp, args.data, run_dir_of(meta)))[0]
    use_ema = exp.has_ema and not args.no_ema
    seed = 0 if args.seed is None else args.seed  # the dequantization and posterior draws
    report = likelihood_report(exp, x, args.likelihood, seed, use_ema)
    print(f"log-likelihood of {report['items']} held-out items by importance sampling, K = {report['samples']} "
          f"posterior samples each ({'EMA networks' if use_ema else 'no EMA'}, step {meta['step']}; {meta['path']})")
    print(f"units: {report['units']}")
    print(f"NLL {report['nll_nats']:.2f} nats per sample, {report['bits_per_dim']:.4f} bits per dim "
          f"(negative ELBO {report['neg_elbo_nats']:.2f} nats)")
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "seed": seed, **report}
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def inception_metrics(samples: torch.Tensor, dataset, weights: str | None, is_splits: int | None = None) -> dict:
    """FD, KID, IS (over is_splits splits, default 10), precision / recall, density / coverage in Inception
    features against as many real images."""
    from ..metrics.inception import inception_metrics as measure

    if not dataset.spec.is_image:
        raise ConfigError(f"--features inception needs image data; {dataset.spec.name} is vectors")
    real = dataset.sample(len(samples), torch.Generator().manual_seed(0))
    return {f"inception/{k}": v for k, v in measure(samples, real, weights, is_splits).items()}


def eval_baselines(args: argparse.Namespace) -> int:
    """The digits ladder of benchmarks.md section 3, in evaluator features against the held-out digits."""
    import json

    from ..metrics import digits_metrics
    from ..metrics.baselines import BASELINES, N

    check_is_splits(args.is_splits, N, ["digits"], inception=False)  # the ladder scores N digits
    rows = {name: digits_metrics(sampler(N, args.seed or 0), is_splits=args.is_splits)
            for name, sampler in BASELINES.items()}
    print_table(rows)
    if args.output:
        text = json.dumps(rows, indent=2) + "\n"
        write_atomic(Path(args.output), lambda tmp: Path(tmp).write_text(text))
        print(f"wrote {args.output}")
    return 0


def add_parser(sub) -> None:
    e = sub.add_parser("eval", help="compute metrics of a trained generator, or the digits baseline ladder",
                       description="Evaluate a run's generator (the EMA copy by default) with its dataset's metrics; "
                                   "prints a table and writes JSON. 'gankit eval baselines' prints the digits ladder.")
    e.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory, a checkpoint, or 'baselines'")
    e.add_argument("--metrics", help="comma-separated metric names (gankit list metrics, and encoder for encoder GANs); "
                                     "default: the dataset's, plus the encoder metrics where the run has an encoder")
    e.add_argument("-n", type=eval_count, default=0, help="samples to draw (default: the run's log.eval_samples; "
                                                          "digits metrics use the first 797)")
    e.add_argument("--data", help="the dataset to compare with (default: the run's own when it is a built-in one; a "
                                  "folder: or npz: path from the checkpoint is read only when named here)")
    e.add_argument("-o", "--output", metavar="FILE", help="JSON output (default RUN/eval-step-N.json)")
    e.add_argument("--features", choices=["dataset", "inception"], default="dataset",
                   help="dataset: the metrics the dataset lists (digits evaluator, toy modes); inception: FD / KID / "
                        "IS / precision / recall / density / coverage in Inception-v3 features (plain torch, local weights)")
    e.add_argument("--likelihood", type=positive_int, metavar="K", default=0,
                   help="instead of sample metrics: held-out negative log-likelihood by importance sampling with K "
                        "posterior samples per item (vae runs; K up to thousands), in nats and bits per dim")
    e.add_argument("--inception-weights", metavar="PATH",
                   help="the pt_inception-2015-12-05 weights file for --features inception "
                        "(default: $GANKIT_INCEPTION_WEIGHTS, else ~/.cache/gankit/weights/)")
    add_is_splits_option(e)
    add_generator_options(e)
    add_chain_option(e)
    e.set_defaults(func=cmd_eval, seed=None)  # None: the latent draw of training's own evaluation (seed + 2)
    next(a for a in e._actions if a.dest == "seed").help = ("seed of the latent codes (default: the draw training "
                                                            "evaluated with, so the numbers match its log)")
