"""`gankit ladder emoji`: the T3 reference ladder, printed as the README's table."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import check_output, positive_int, seed_int

COLUMNS = (("FD", "inception/fd", "{:.1f}"), ("KID x 1e3", "inception/kid", "{:.2f}"),
           ("KID std x 1e3", "inception/kid_std", "{:.2f}"), ("SWD", "swd/avg", "{:.1f}"),
           ("precision", "inception/precision", "{:.2f}"), ("recall", "inception/recall", "{:.2f}"),
           ("seconds", "seconds", "{:.0f}"))


def markdown(rows: dict) -> str:
    """One line per rung; KID in units of 1e-3; columns a run without Inception lacks are left out."""
    first = next(iter(rows.values()))
    columns = [c for c in COLUMNS if c[1] in first]
    scale = {"inception/kid": 1e3, "inception/kid_std": 1e3}
    lines = ["| rung | " + " | ".join(c[0] for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = [fmt.format(row[key] * scale.get(key, 1)) for _, key, fmt in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


README_MARKERS = ("<!-- ladder emoji: begin -->", "<!-- ladder emoji: end -->")


def check_readme(readme: Path) -> None:
    """Before the ladder runs: --readme names a readable file holding both markers."""
    from ..readme_tables import check_markers

    check_markers(readme, README_MARKERS, "ladder --readme")


def write_readme(readme: Path, text: str, command: str) -> None:
    """Replaces what stands between the markers with the command and its table, atomically."""
    from ..readme_tables import replace_between_markers

    replace_between_markers(Path(readme), README_MARKERS, text, command)


def command_of(args: argparse.Namespace) -> str:
    """The command line that regenerates the table (the options that change its values, and where it went)."""
    parts = ["gankit ladder emoji", f"-n {args.n}", f"--seed {args.seed}" if args.seed else "",
             f"--precision {args.precision}" if args.precision != "fp32" else "",
             f"--features {args.features}" if args.features != "inception" else "",
             f"-o {args.output}" if args.output else "", f"--readme {args.readme}"]
    return " ".join(p for p in parts if p)


def cmd_ladder(args: argparse.Namespace) -> int:
    from ..metrics.emoji_ladder import ladder_rows
    from ..files import write_atomic

    out = check_output(Path(args.output), (".json",)) if args.output else None
    if args.readme:
        check_readme(Path(args.readme))
    if args.features == "inception":
        from ..metrics.inception import resolve_weights

        resolve_weights(args.inception_weights)
    import torch

    torch.set_num_threads(args.threads)
    rows = {}
    for name, row in ladder_rows(args.n, args.seed, args.features == "inception", args.inception_weights,
                                 args.precision):
        rows[name] = row
        fd = f"FD {row['inception/fd']:.4g}, " if "inception/fd" in row else ""
        print(f"{name}: {fd}SWD {row['swd/avg']:.4g}, {row['seconds']:.0f} s", flush=True)
        if out:  # after every rung: an interrupted ladder keeps what it measured
            write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(rows, indent=2) + "\n"))
    first = next(iter(rows.values()))
    notes = [f"{k.split('/')[-1]}: {v}" for k, v in first.items() if isinstance(v, str)]
    text = markdown(rows) + "\n\n" + "; ".join([f"n {args.n} per set (the halves: n / 2 each)", f"seed {args.seed}",
                                                f"{args.threads} torch thread(s)", *notes])
    print(text)
    if out:
        print(f"wrote {out}")
    if args.readme:
        write_readme(Path(args.readme), text, command_of(args))
        print(f"wrote the table into {args.readme}")
    return 0


def add_parser(sub) -> None:
    from ..metrics.inception import PRECISIONS

    p = sub.add_parser("ladder", help="the emoji (T3) reference ladder: FD / KID / SWD of reference image sets",
                       description="Score reference image sets on the emoji data (make emoji builds it) as a "
                                   "generator would be scored: other training images, two halves of one vendor, "
                                   "one vendor against the other, blurred images, a Gaussian fitted to the pixels, "
                                   "uniform noise; with the seconds each evaluation took.")
    p.add_argument("data", choices=["emoji"], help="the benchmark (emoji: T3)")
    p.add_argument("-n", type=positive_int, default=2000, help="images per set (default 2000, as T3 scores)")
    p.add_argument("--seed", type=seed_int, default=0, help="which images each set draws (default 0)")
    p.add_argument("--features", choices=["inception", "none"], default="inception",
                   help="inception (default): FD / KID / PR / DC too; none: SWD only")
    p.add_argument("--inception-weights", metavar="PATH", help="as gankit score takes it")
    p.add_argument("--precision", choices=list(PRECISIONS), default="fp32",
                   help="the Inception network's arithmetic: fp32 (default) or bf16 autocast")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="torch threads (default 1: the seconds column is per core, as T3 states costs)")
    p.add_argument("-o", "--output", metavar="FILE.json", help="also write every value as JSON")
    p.add_argument("--readme", metavar="FILE.md", help="also put the table, with the command that made it, between "
                                                       f"the {README_MARKERS[0]} and {README_MARKERS[1]} lines of FILE")
    p.set_defaults(func=cmd_ladder)
