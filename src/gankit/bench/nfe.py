"""A trained diffusion entry evaluated again at other sampler step counts, kept in the same record (STEP_SWEEPS of
tasks.py), the table rows that show it, and the figure of a metric against NFE with the distilled students' points
(docs/benchmarks.md section 11)."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from ..errors import ConfigError
from ..files import write_atomic
from .tasks import NFE_FIGURES, STEP_SWEEPS, TEACHERS


def needs_nfe(task: str, entry: str) -> bool:
    """Whether a record of this entry states its sampling cost: the swept teachers and their students."""
    return (task, entry) in STEP_SWEEPS or (task, entry) in TEACHERS


def missing(record: dict) -> list[int]:
    """The sweep's step counts this record has no evaluation of yet."""
    done = record.get("steps", {})
    return [n for n in STEP_SWEEPS.get((record["task"], record["entry"]), ()) if str(n) not in done]


def complete_record(record: dict) -> dict:
    """The record with its sampling cost ("nfe") and every missing sweep evaluation ("steps": {N: {"nfe", "sampling",
    "metrics"}}), each measured on the kept run directory by the one evaluation path (Run.evaluate: the latent draw
    training evaluated with, the EMA generator) with objective.options.sample_steps set to N."""
    from ..api import load

    run = load(record["run_dir"], device="cpu")
    objective = run.experiment.objective
    record = {**record, "nfe": objective.sampling_nfe(), "steps": dict(record.get("steps", {}))}
    sweep = missing(record)
    if sweep and "sample_steps" not in objective.capabilities.sampling_options:
        raise ConfigError(f"bench quality STEP_SWEEPS {record['task']}/{record['entry']}: objective "
                          f"{run.config.objective.name!r} has no sample_steps option to sweep")
    for n in sweep:
        objective.sample_steps = n  # a declared sampling option, set as `gankit eval --steps` sets it
        metrics = run.evaluate()
        record["steps"][str(n)] = {"nfe": objective.sampling_nfe(), "sampling": objective.describe_sampling(),
                                   "metrics": metrics}
    if not record["steps"]:
        del record["steps"]
    return record


def write_record(path: Path, record: dict) -> None:
    text = json.dumps(record, indent=1) + "\n"
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))  # reports read every record: none half written


def fill_in(paths: list[Path]) -> list[Path]:
    """Completes the records at `paths` that lack their NFE or sweep evaluations (records written before the sweep
    existed), re-evaluating their kept runs rather than training again; returns the paths rewritten. A record whose
    run directory is gone is left as it is, with a note."""
    import torch

    torch.set_num_threads(1)  # as every bench run
    done = []
    for path in paths:
        record = json.loads(path.read_text())
        if not needs_nfe(record["task"], record["entry"]) or ("nfe" in record and not missing(record)):
            continue
        if not Path(record["run_dir"]).is_dir():
            print(f"gankit: note: {path}: its run {record['run_dir']} is gone; the step sweep is not filled in")
            continue
        write_record(path, complete_record(record))
        done.append(path)
    return done


def sweep_label(entry: str, steps: str, nfe: int) -> str:
    """'digits-edm @ 1 step (1 NFE)': a row of the task's table."""
    return f"{entry} @ {steps} step{'' if steps == '1' else 's'} ({nfe} NFE)"


def sweep_rows(record: dict) -> dict[str, dict]:
    """label -> metrics of each sweep evaluation of a record (none for records without a sweep)."""
    return {sweep_label(record["entry"], n, ev["nfe"]): ev["metrics"] for n, ev in record.get("steps", {}).items()}


def nfe_points(records: list[dict], task: str, entry: str, metric: str) -> dict[int, list[float]]:
    """NFE -> the metric in every seed: each sweep evaluation and the trained setting's final evaluation (one value
    per seed and NFE: the final one where the sweep includes the trained setting)."""
    points: dict[int, list[float]] = {}
    for r in records:
        if r["task"] != task or r["entry"] != entry or r.get("nfe") is None:
            continue
        values = {ev["nfe"]: float(ev["metrics"][metric]) for ev in r.get("steps", {}).values()}
        values[r["nfe"]] = float(r["final"][metric])
        for cost, value in values.items():
            points.setdefault(cost, []).append(value)
    return dict(sorted(points.items()))


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def plot_nfe(records: list[dict], out: Path) -> list[Path]:
    """TASK-nfe.png for each task of NFE_FIGURES whose records hold a sweep: each swept teacher's metric against
    NFE (mean +- std over seeds, log axes), and each of its students' point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for task, metric in NFE_FIGURES.items():
        teachers = [e for t, e in STEP_SWEEPS if t == task and any(r["task"] == t and r["entry"] == e and "steps" in r
                                                                    for r in records)]
        if not teachers:
            continue
        fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
        seeds, costs = 0, set()
        for teacher in teachers:
            points = nfe_points(records, task, teacher, metric)
            seeds, costs = max([seeds, *(len(v) for v in points.values())]), costs | set(points)
            ax.errorbar(list(points), [statistics.mean(v) for v in points.values()],
                        yerr=[spread(v) for v in points.values()], marker="o", capsize=3, label=f"{teacher} (teacher)")
            for student in [s for (t, s), teacher_of in TEACHERS.items() if t == task and teacher_of == (task, teacher)]:
                for nfe, values in nfe_points(records, task, student, metric).items():
                    ax.errorbar([nfe], [statistics.mean(values)], yerr=[spread(values)], marker="*", markersize=14,
                                linestyle="none", capsize=3, label=f"{student} (student, {plural(len(values), 'seed')})")
        ax.set_xscale("log")
        ax.set_xticks(sorted(costs), [str(c) for c in sorted(costs)])  # the NFE measured, not powers of ten
        ax.minorticks_off()
        ax.set_yscale("log" if metric.endswith("/fd") or metric.endswith("reverse_kl") else "linear")
        ax.set_xlabel("NFE (denoiser evaluations per sample)")
        ax.set_ylabel(metric)
        ax.set_title(f"{task}: {metric} against NFE (mean ± std over {plural(seeds, 'seed')})")
        ax.legend(fontsize="small")
        path = out / f"{task}-nfe.png"
        write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
        plt.close(fig)
        paths.append(path)
    return paths
