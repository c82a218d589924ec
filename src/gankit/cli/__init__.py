"""gankit command line: one module per command group, each parser beside its handler.

train | sample | eval | encode | reconstruct | interpolate | refine | inspect | plot | evaluator | bench | data | score | ladder | list
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import GankitError
from . import bench, data, encoding, evaluate, evaluator, inspect, ladder, listing, plot, refine, sample, score, train

COMMANDS = (train, sample, evaluate, score, encoding, refine, inspect, plot, evaluator, bench, data, ladder, listing)  # in --help order


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes as one line, like every other gankit error (subcommand parsers inherit the class)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="gankit", description="Train, evaluate and compare adversarial generative models.")
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
        print(f"gankit: error: {' '.join(str(err).split())}", file=sys.stderr)  # one line, even for YAML's errors
        return 2
    except OSError as err:  # the file system said no (read-only, full, missing): name the file, no traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"gankit: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
