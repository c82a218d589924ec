"""gankit command line: one module per command group, each parser beside its handler.

train | sample | eval | encode | reconstruct | interpolate | refine | inspect | plot | evaluator | emoji-classifier | bench | data | score | ladder | list
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import GankitError
from . import bench, data, digits_classifier, emoji_classifier, encoding, evaluate, inspect, ladder, listing, plot, refine, sample, score, train

COMMANDS = (train, sample, evaluate, score, encoding, refine, inspect, plot, digits_classifier, emoji_classifier, bench, data, ladder, listing)  # in --help order


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes as one line, like every other gankit error (subcommand parsers inherit the class)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        """Arguments no parser takes are refused by the innermost command, so the line names it and its --help
        (gankit bench quality: error: unrecognized arguments: --repeats 3), not the top-level parser."""
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="gankit", description="Train, evaluate and compare adversarial generative models.")
    p.add_argument("--version", action="version", version=f"gankit {__version__}")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                   help="import a module (a dotted name or a .py file) that registers objectives, networks, penalties "
                        "or metrics before the command runs (repeatable; also $GANKIT_PLUGINS and installed "
                        "packages' 'gankit.plugins' entry points)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from ..plugins import load_plugins

    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    try:
        load_plugins(args.plugin)
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
