"""`gankit eval`: a run's metrics, or the digits baseline ladder."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


from ..errors import ConfigError
from ..evaluation import check_is_splits
from ..metrics import check_metrics_apply
from ..files import write_atomic
from .common import (add_chain_option, add_generator_options, add_is_splits_option, add_sampler_steps_option,
                     apply_chain_option, check_output, check_sample_count, dataset_of_run, positive_int, print_table,
                     run_dir_of)


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
    import torch

    from ..evaluation import EVAL_SEED_OFFSET, choose_features, eval_noise, eval_sample_count, evaluate_run
    from ..training.experiment import experiment_from_checkpoint

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
    if args.threads:
        torch.set_num_threads(args.threads)  # else the run's train.threads, as build_experiment set it
    features, note = (args.features, "") if args.features else choose_features(
        exp, exp.spec, args.metrics.split(",") if args.metrics else None, args.inception_weights)
    if note:
        print(note)
    n = eval_sample_count(features, args.n, exp.cfg)
    check_sample_count(n, exp.spec.shape)
    out = check_output(Path(args.output) if args.output else
                       run_dir_of(meta) / f"eval-step-{meta['step']:07d}.json", (".json",))
    plan = eval_plan(args, exp, n, features)  # every refusal before the dataset is read or a sample drawn
    dataset = dataset_of_run(exp, args.data, run_dir_of(meta))
    check_metrics_apply(list(plan.metrics), dataset.spec)  # what --data gives, before any sample is drawn
    apply_chain_option(exp, args.chains_from, args.steps)
    use_ema = exp.has_ema and not args.no_ema
    seed = exp.cfg.seed + EVAL_SEED_OFFSET if args.seed is None else args.seed  # default: training's eval draw
    what = f"{n} samples of the {'EMA generator' if use_ema else 'generator (no EMA)'}" if plan.draws_samples \
        else f"the {'EMA ' if use_ema else ''}encoder"
    print(f"evaluating {what} at step {meta['step']} ({meta['path']})")
    results = evaluate_run(exp, dataset, plan, eval_noise(exp, n, seed), use_ema)
    print_table({"": results})
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "n": n, "seed": seed,
              "metrics": results}
    sampling = exp.objective.describe_sampling()  # a diffusion sampler's cost, where it has one
    if sampling:
        record["sampling"] = sampling
        print(f"sampled by {sampling}")
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def eval_plan(args: argparse.Namespace, exp, n: int, features: str):
    """The evaluation the options ask for (gankit.evaluation.plan_evaluation), refused when it is empty."""
    from ..evaluation import plan_evaluation

    names = args.metrics.split(",") if args.metrics else None
    plan = plan_evaluation(exp, exp.spec, names, features, args.inception_weights, args.is_splits, n, args.precision)
    if plan.empty:
        raise ConfigError(f"dataset {exp.spec.name} lists no metrics; name some with --metrics (gankit list metrics)")
    return plan


def eval_likelihood(args: argparse.Namespace, exp, meta: dict) -> int:
    """Importance-sampled log-likelihood of held-out data (the 797 benchmark digits for digits runs)."""
    from ..objectives.autoencoders.likelihood import check_likelihood_applies, likelihood_report
    from ..metrics.encoder import held_out, held_out_kind

    check_likelihood_applies(exp)  # before the held-out data is read
    out = check_output(Path(args.output) if args.output else
                       run_dir_of(meta) / f"likelihood-step-{meta['step']:07d}.json", (".json",))
    dataset = dataset_of_run(exp, args.data, run_dir_of(meta))
    x, kind = held_out(dataset)[0], held_out_kind(dataset)
    use_ema = exp.has_ema and not args.no_ema
    seed = 0 if args.seed is None else args.seed  # the dequantization and posterior draws
    report = likelihood_report(exp, x, args.likelihood, seed, use_ema)
    print(f"log-likelihood of {report['items']} {kind} items by importance sampling, K = {report['samples']} "
          f"posterior samples each ({'EMA networks' if use_ema else 'no EMA'}, step {meta['step']}; {meta['path']})")
    print(f"units: {report['units']}")
    print(f"NLL {report['nll_nats']:.2f} nats per sample, {report['bits_per_dim']:.4f} bits per dim "
          f"(negative ELBO {report['neg_elbo_nats']:.2f} nats)")
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "seed": seed, "items_are": kind,
              **report}
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def eval_baselines(args: argparse.Namespace) -> int:
    """The digits ladder of docs/benchmarks.md section 3, in evaluator features against the held-out digits."""
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
    from ..metrics.inception import PRECISIONS

    e = sub.add_parser("eval", help="compute metrics of a trained generator, or the digits baseline ladder",
                       description="Evaluate a run's generator (the EMA copy by default) with its dataset's metrics; "
                                   "prints a table and writes JSON. 'gankit eval baselines' prints the digits ladder.")
    e.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory, a checkpoint, or 'baselines'")
    e.add_argument("--metrics", help="comma-separated metric names (gankit list metrics, and encoder for encoder GANs); "
                                     "default: the dataset's, plus the encoder metrics where the run has an encoder")
    e.add_argument("-n", type=eval_count, default=0, help="samples to draw (default: 2000 in Inception features, as "
                                                          "T3 scores; else the run's log.eval_samples; digits "
                                                          "metrics use the first 797)")
    e.add_argument("--data", help="the dataset to compare with (default: the run's own when it is a built-in one; a "
                                  "folder: or npz: path from the checkpoint is read only when named here)")
    e.add_argument("-o", "--output", metavar="FILE", help="JSON output (default RUN/eval-step-N.json)")
    e.add_argument("--features", choices=["dataset", "inception"], default=None,
                   help="dataset: the metrics the dataset lists (digits evaluator, toy modes, SWD); inception: FD / "
                        "KID / IS / precision / recall / density / coverage in Inception-v3 features (plain torch, "
                        "local weights). Default: inception for colour images (3 or 4 channels) when the weights "
                        "are found and no --metrics are named, else dataset")
    e.add_argument("--precision", choices=list(PRECISIONS), default="fp32",
                   help="the Inception network's arithmetic: fp32 (default), or bf16 autocast (faster on CPUs with "
                        "native bf16; FD moves by the figure the README's T3 section gives)")
    e.add_argument("--threads", type=positive_int, default=None,
                   help="torch CPU threads for sampling and features (default: the run's train.threads)")
    e.add_argument("--likelihood", type=positive_int, metavar="K", default=0,
                   help="instead of sample metrics: held-out negative log-likelihood by importance sampling with K "
                        "posterior samples per item (vae runs; K up to thousands), in nats and bits per dim")
    e.add_argument("--inception-weights", metavar="PATH",
                   help="the pt_inception-2015-12-05 weights file for --features inception "
                        "(default: $GANKIT_INCEPTION_WEIGHTS, else ~/.cache/gankit/weights/)")
    add_is_splits_option(e)
    add_generator_options(e)
    add_chain_option(e)
    add_sampler_steps_option(e)
    e.set_defaults(func=cmd_eval, seed=None)  # None: the latent draw of training's own evaluation (seed + 2)
    next(a for a in e._actions if a.dest == "seed").help = ("seed of the latent codes (default: the draw training "
                                                            "evaluated with, so the numbers match its log)")
