"""`gankit evaluator`: retrain the digits classifier (the evaluator of digits metrics) with its fixed recipe."""
from __future__ import annotations

import argparse
from pathlib import Path

from .common import check_output


def cmd_evaluator(args: argparse.Namespace) -> int:
    from ..data.digits import digits_arrays
    from ..metrics.baselines import BASELINES, N
    from ..metrics.digits import compare_evaluators
    from ..metrics.digits_classifier import (WEIGHT_TOLERANCE, WEIGHTS, accuracy, load_evaluator, save_evaluator,
                                             train_evaluator, version_of)

    out = Path(args.output) if args.output else WEIGHTS
    check_output(out, (".safetensors",))  # before the training, not after
    model = train_evaluator()
    acc = accuracy(model, *digits_arrays("test"))
    shipped = load_evaluator(WEIGHTS)[0] if out != WEIGHTS else None
    version = save_evaluator(model, out)
    print(f"trained {version}: {acc:.2%} on the 797 held-out digits; wrote {out}")
    if shipped is None:
        return 0
    same = out.read_bytes() == WEIGHTS.read_bytes()
    report = compare_evaluators(shipped, model, {name: sampler(N, 0) for name, sampler in BASELINES.items()})
    print(f"shipped weights {version_of(WEIGHTS)}: {'identical bit for bit' if same else 'not bit for bit'} "
          f"(exact only on the same CPU kernels); largest weight difference {report['max_weight_diff']:.2g} "
          f"(bound {WEIGHT_TOLERANCE:g}); {report['prediction_mismatches']} of 797 held-out predictions differ; "
          f"ladder metrics {'equal to printed precision' if not report['ladder_changes'] else 'CHANGED: ' + '; '.join(report['ladder_changes'])}")
    return 0 if report["ok"] else 1


def add_parser(sub) -> None:
    ev = sub.add_parser("evaluator", help="retrain the digits evaluator with its fixed recipe",
                        description="Retrain the digits evaluator (fixed recipe and seed) and write its weights; "
                                    "with -o, also check them against the shipped ones: weights within a tolerance, "
                                    "the same held-out predictions, the ladder metrics equal to printed precision "
                                    "(bit for bit only holds on the same CPU kernels).")
    ev.add_argument("-o", "--output", metavar="FILE", help="where to write (default: the shipped weights file)")
    ev.set_defaults(func=cmd_evaluator)
