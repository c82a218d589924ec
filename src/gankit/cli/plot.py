"""`gankit plot`: a run's losses and metrics over steps, from metrics.jsonl, as one PNG (for those who do
not run TensorBoard)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import DataError
from .common import check_output


def split_series(records: list[dict]) -> tuple[dict[str, list], dict[str, list]]:
    """(losses, metrics): key -> [(step, value)]. Loss lines hold a phase total ("D/total"); the others are
    evaluations. Strings (an evaluator's version) and events (a note, a session's length, a rollback) are left out."""
    losses: dict[str, list] = {}
    metrics: dict[str, list] = {}
    for record in records:
        if "event" in record:
            continue
        target = losses if any(k.endswith("/total") for k in record) else metrics
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                target.setdefault(key, []).append((record["step"], value))
    return losses, metrics


def constant_counts(metrics: dict[str, list]) -> dict[str, float]:
    """The metrics written as the same integer at every one of several evaluations (sample counts, k, splits,
    and classes that never move): a line of text rather than a panel each."""
    return {key: points[0][1] for key, points in metrics.items()
            if len(points) > 1 and all(isinstance(v, int) and v == points[0][1] for _, v in points)}


ADA_PREFIX = "ada/"     # adaptive augmentation's p and r_t (objectives/ada.py): a panel of their own
SPREAD_SUFFIX = "_std"  # KEY_std is the spread of KEY (is_std over the IS splits): drawn around KEY, not apart


def metric_panels(metrics: dict[str, list], constant: dict[str, float]) -> list[tuple[str, dict, dict]]:
    """(title, {key: points}, {key: spread points}) for each metric to draw: one panel per metric, with a
    KEY_std that has its KEY drawn on KEY's panel as error bars (a band over 30 evaluations or more)."""
    spreads = {key[: -len(SPREAD_SUFFIX)]: points for key, points in metrics.items()
               if key.endswith(SPREAD_SUFFIX) and key[: -len(SPREAD_SUFFIX)] in metrics}
    spread_keys = {key + SPREAD_SUFFIX for key in spreads}
    return [(key, {key: points}, {key: spreads[key]} if key in spreads else {})
            for key, points in metrics.items() if key not in constant and key not in spread_keys]


def draw_spread(ax, points: list, spread: list, color) -> None:
    """value +- spread at the steps where both were logged: error bars, or a band when there are many."""
    std = dict(spread)
    kept = [(s, v, std[s]) for s, v in points if s in std]
    if not kept:
        return
    steps, values, widths = zip(*kept)
    low, high = [v - w for v, w in zip(values, widths)], [v + w for v, w in zip(values, widths)]
    if len(steps) < 30:
        ax.errorbar(steps, values, yerr=widths, fmt="none", ecolor=color, capsize=3, label=f"± {SPREAD_SUFFIX[1:]}")
    else:
        ax.fill_between(steps, low, high, color=color, alpha=0.25, label=f"± {SPREAD_SUFFIX[1:]}")


def draw_panels(panels: list[tuple[str, dict, dict]], title: str):
    """A matplotlib figure with the panels three to a row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows + 0.4), dpi=100, squeeze=False,
                             layout="constrained")  # keeps the title clear of the top row's panel titles
    for ax, (name, series, spreads) in zip(axes.flat, panels):
        for i, (key, points) in enumerate(series.items()):
            steps, values = zip(*points)
            line, = ax.plot(steps, values, label=key, marker="o" if len(points) < 30 else None, markersize=3,
                            linestyle=("-", "--", ":", "-.")[i // 10 % 4])
            if key in spreads:
                draw_spread(ax, points, spreads[key], line.get_color())
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if list(series) != [name] or spreads:  # a panel of named lines (phase totals, terms), or with a spread
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(title)
    return fig


def loss_panels(losses: dict[str, list]) -> list[tuple[str, dict, dict]]:
    """The loss lines' panels that have lines: phase totals, the other terms, and ADA's p and r_t."""
    totals = {k: v for k, v in losses.items() if k.endswith("/total")}
    ada = {k: v for k, v in losses.items() if k.startswith(ADA_PREFIX)}  # p and r_t share a [0, 1] scale
    terms = {k: v for k, v in losses.items() if k not in totals and k not in ada}
    panels = [("phase losses", totals, {}), ("loss terms and diagnostics", terms, {}),
              ("adaptive augmentation: p and r_t", ada, {})]
    return [panel for panel in panels if panel[1]]


def plot_curves(losses: dict[str, list], metrics: dict[str, list], path: Path, title: str) -> None:
    """Phase totals in one panel, the other loss terms in a second, ADA's p and r_t (when logged) in a third,
    each metric in a panel of its own with its spread around it (those constant_counts finds under the title
    instead)."""
    from ..files import write_atomic

    constant = constant_counts(metrics)
    panels = loss_panels(losses) + metric_panels(metrics, constant)
    if constant:
        title += "\nthe same at every evaluation: " + ", ".join(f"{k} {v:g}" for k, v in constant.items())
    fig = draw_panels(panels, title)
    import matplotlib.pyplot as plt  # after draw_panels chose the Agg backend

    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def cmd_plot(args: argparse.Namespace) -> int:
    from ..training.logging import MetricsLog

    run = Path(args.run)
    out = check_output(Path(args.output), (".png",)) if args.output else run / "curves.png"  # before any work
    records = MetricsLog(run / "metrics.jsonl").read()
    if not records:
        raise DataError(f"{run}: no metrics.jsonl records to plot (is it a run directory?)")
    losses, metrics = split_series(records)
    plot_curves(losses, metrics, out, f"{run.name}: losses and metrics over steps")
    print(f"wrote {out}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help="draw a run's losses and metrics over steps to a PNG",
                       description="Read RUN/metrics.jsonl and draw the phase losses, the other loss terms and "
                                   "each metric against the step, one PNG (default RUN/curves.png).")
    p.add_argument("run", metavar="RUN", help="a run directory")
    p.add_argument("-o", "--output", metavar="FILE", help="output PNG (default RUN/curves.png)")
    p.set_defaults(func=cmd_plot)
