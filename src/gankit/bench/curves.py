"""The critic's sign curves of a benchmark run (r_t = E[sign D(x_real)], and ADA's p where it runs), kept in
its record and drawn per task as TASK-curves.png: how the small-data runs tell a critic that memorises its
training images (r_t near 1) from one that does not."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from ..files import write_atomic

CURVE_KEYS = ("d_real_sign", "ada/p")  # loss-line keys: the critic's r_t on real images, ADA's probability
LABELS = {"d_real_sign": "r_t = E[sign D(x_real)]", "ada/p": "ADA p"}


def sign_curves(rows: list[dict]) -> list[dict]:
    """step and the CURVE_KEYS of every loss line that has one of them (none: the objective reports no sign)."""
    return [{"step": r["step"], **{k: r[k] for k in CURVE_KEYS if k in r}} for r in rows
            if any(k in r for k in CURVE_KEYS)]


def curves_from_run(run_dir: str | Path) -> list[dict]:
    """sign_curves of a kept run directory's metrics.jsonl (records written before curves were kept)."""
    lines = (Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    return sign_curves([json.loads(line) for line in lines if line.strip()])


def mean_by_step(curve_points: list[dict], key: str) -> dict[int, float]:
    """step -> the mean of `key` over the points (of an entry's seeds) that have it, in step order."""
    values: dict[int, list[float]] = {}
    for c in curve_points:
        if key in c:
            values.setdefault(c["step"], []).append(c[key])
    return {step: statistics.mean(values[step]) for step in sorted(values)}


def plot_curves(records: list[dict], path: Path) -> Path | None:
    """One panel per curve key, one line per entry (mean over its seeds at each step); None without curves."""
    runs = [r for r in records if r.get("curves")]
    keys = [k for k in CURVE_KEYS if any(k in c for r in runs for c in r["curves"])]
    if not keys:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(6 * len(keys), 4.5), dpi=100, squeeze=False)
    for ax, key in zip(axes[0], keys):
        for entry in sorted({r["entry"] for r in runs}):
            points = mean_by_step([c for r in runs if r["entry"] == entry for c in r["curves"]], key)
            if points:
                ax.plot(list(points), list(points.values()), label=entry, linewidth=1)
        ax.set_xlabel("step")
        ax.set_title(LABELS[key])
        ax.legend(fontsize="small")
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)
    return path
