"""`gankit evaluator`: retrain the digits evaluator with its fixed recipe."""
from __future__ import annotations

import argparse
from pathlib import Path



def cmd_evaluator(args: argparse.Namespace) -> int:
    from ..data.digits import digits_arrays
    from ..metrics.evaluator import WEIGHTS, accuracy, save_evaluator, train_evaluator, version_of

    model = train_evaluator()
    acc = accuracy(model, *digits_arrays("test"))
    out = Path(args.output) if args.output else WEIGHTS
    version = save_evaluator(model, out)
    print(f"trained {version}: {acc:.2%} on the 797 held-out digits; wrote {out}")
    if out != WEIGHTS:
        same = out.read_bytes() == WEIGHTS.read_bytes()
        print(f"shipped weights {version_of(WEIGHTS)}: {'identical' if same else 'DIFFERENT'} bit for bit")
        return 0 if same else 1
    return 0


def add_parser(sub) -> None:
    ev = sub.add_parser("evaluator", help="retrain the digits evaluator with its fixed recipe",
                        description="Retrain the digits evaluator (fixed recipe and seed) and write its weights; "
                                    "with -o, also compare them bit for bit with the shipped ones.")
    ev.add_argument("-o", "--output", metavar="FILE", help="where to write (default: the shipped weights file)")
    ev.set_defaults(func=cmd_evaluator)
