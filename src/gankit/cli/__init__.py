"""gankit command line: one module per command group, each parser beside its handler.

train | sample | eval | encode | reconstruct | interpolate | inspect | evaluator | bench | list | refine
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import GankitError
from . import bench, encoding, evaluate, evaluator, inspect, listing, refine, sample, train

COMMANDS = (train, sample, evaluate, encoding, inspect, evaluator, bench, listing, refine)  # in --help order


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gankit", description="Train, evaluate and compare adversarial generative models.")
    p.add_argument("--version", action="version", version=f"gankit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    try:
        return args.func(args)
    except GankitError as err:
        print(f"gankit: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
