"""`gankit bench quality`: every benchmark task for N seeds, two runs at a time, then results/*.json,
a Markdown table (mean +- std over seeds) and one plot per task (headline metric against step)."""
from __future__ import annotations

import json
import multiprocessing
import statistics
import time
from pathlib import Path
from typing import Callable

from ..errors import ConfigError
from ..files import write_atomic
from ..readme_tables import check_markers, replace_between_markers
from .curves import plot_curves, sign_curves
from .final import final_metrics
from .jobruns import job_run_dir, job_trainer, trained_seconds
from .nfe import complete_record, fill_in, needs_nfe, sweep_rows, write_record
from .tasks import FINAL_FEATURES, HEADLINE, REFINE, SHARED_ENTRIES, TASKS, task_config, task_steps

# Not averaged into the table: names (evaluator, Inception's extractor and resize) and the conventions each record carries (sample counts,
# k's, IS splits, KID subsets), which are the same in every seed; and the IS spread over splits.
SKIP = ("evaluator", "extractor", "resize", "n", "n_real", "n_fake", "pr_k", "dc_k", "is_splits", "is_std",
        "kid_subset_size", "kid_subsets")


def run_one(job: tuple[str, str, int, str], final_samples: int | None = None, rerun: bool = False) -> dict:
    """Trains one (task, entry, seed) in this process (continuing its run directory's checkpoints unless rerun) and
    returns its metric history; final_samples caps the samples of the task's final feature evaluation (None: all
    log.eval_samples)."""
    import torch

    from ..config import build_config
    from ..data import dataset_for

    task, entry, seed, out = job
    torch.set_num_threads(1)
    cfg = build_config(task_config(task, entry, seed, str(Path(out) / "runs")))
    dataset = dataset_for(cfg.data)
    start = time.perf_counter()
    trainer = job_trainer(cfg, job_run_dir(out, task, entry, seed, rerun), dataset)
    result = trainer.fit()
    if result["interrupted"]:  # Ctrl-C: no record, so the next bench continues the run from its checkpoint
        return {"task": task, "entry": entry, "seed": seed, "interrupted": True, "run_dir": str(trainer.run_dir)}
    rows = trainer.log.read()
    trained = time.perf_counter()
    history = [r for r in rows if any("/" in k and not k.endswith("/total") for k in r if k != "step")
               and not any(k.endswith("_loss") for k in r)]
    record = {"task": task, "entry": entry, "seed": seed, "trained_steps": trainer.step,
              "seconds": trained_seconds(result["checkpoint"], rows, trained - start),
              "final": result["metrics"], "history": history, "run_dir": str(trainer.run_dir),
              "curves": sign_curves(rows)}
    final = final_metrics(task, trainer, final_samples) if task in FINAL_FEATURES else {}
    if final:  # none for a model without samples; timed apart from training; n recorded: seeds scored at another
        # n do not average
        record["final"] = {**result["metrics"], **final}
        record["seconds_final_eval"] = time.perf_counter() - trained
        record["final_samples"] = final_samples or trainer.cfg.log.eval_samples
    if (task, entry) in REFINE:
        record["final"] = {**record["final"], **refined_metrics(trainer, REFINE[task, entry])}
        record["refine"] = REFINE[task, entry]
    if needs_nfe(task, entry):  # the sampling cost, and the teacher at the sweep's other step counts
        record = complete_record(record)
    path = record_path(out, task, entry, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_record(path, record)
    return record


def refined_metrics(trainer, settings: dict) -> dict:
    """The dataset's metrics after `gankit refine` of the trained run's eval samples, as refined/<metric>."""
    import torch

    from ..metrics import evaluate
    from ..refine import RefineSettings, refine

    generator = torch.Generator().manual_seed(trainer.cfg.seed)
    _, after, _ = refine(trainer.exp, trainer.eval_z, RefineSettings(**settings), generator=generator)
    return {f"refined/{k}": v for k, v in evaluate(after, trainer.dataset).items()}


def record_path(out: Path, task: str, entry: str, seed: int) -> Path:
    return Path(out) / task / f"{entry}-s{seed}.json"


def pending_jobs(tasks: list[str], seeds: int, out: Path, entries: list[str] | None = None,
                 rerun: bool = False) -> list[tuple[str, str, int, str]]:
    """Every (task, entry, seed) without a record yet, or whose record has fewer steps than the entry now asks
    (all of them with rerun): an interrupted bench resumes, a raised step count continues its runs.

    Seed-major order: a bench stopped part-way has every entry's first seeds rather than some entries' all."""
    return [(t, e, s, str(out)) for s in range(seeds) for t in tasks for e in TASKS[t]
            if (entries is None or e in entries) and (rerun or not recorded(out, t, e, s))]


def recorded(out: Path, task: str, entry: str, seed: int) -> bool:
    """A record of the job at the entry's steps (a record from before records kept their steps counts)."""
    path = record_path(out, task, entry, seed)
    if not path.exists():
        return False
    steps = json.loads(path.read_text()).get("trained_steps")
    return steps is None or steps >= task_steps(task, entry)


def run_quality(tasks: list[str], seeds: int, out: Path, workers: int = 2, entries: list[str] | None = None,
                rerun: bool = False, final_samples: int | None = None) -> list[dict]:
    from functools import partial

    from tqdm import tqdm

    jobs = pending_jobs(tasks, seeds, out, entries, rerun)
    records = []
    if jobs:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            records = list(tqdm(pool.imap_unordered(partial(run_one, final_samples=final_samples, rerun=rerun), jobs),
                                total=len(jobs), desc="bench quality"))
    kept = [record_path(out, t, e, s) for s in range(seeds) for t in tasks for e in TASKS[t] if entries is None or e in entries]
    fill_in([p for p in kept if p.exists()])  # records from before a sweep was added get it from their kept runs
    return records


def load_records(out: Path) -> list[dict]:
    """Every run record under `out` (this invocation's and earlier ones'), so reports cover all tasks run, and
    the rows tasks share (SHARED_ENTRIES) as records of each task that shows them."""
    records = [json.loads(p.read_text()) for p in sorted(Path(out).glob("*/*-s*.json"))]
    return records + [{**r, "task": task} for task, (source, entries) in SHARED_ENTRIES.items() for r in records
                      if r["task"] == source and r["entry"] in entries]


def summarise(records: list[dict]) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
    """task -> entry -> metric -> (mean, std over seeds) of the final evaluation."""
    check_same_final_samples(records)
    out: dict = {}
    for r in records:
        entry = out.setdefault(r["task"], {}).setdefault(r["entry"], {})
        for key, value in r["final"].items():
            if key.split("/")[-1] not in SKIP and is_number(value):  # names (a network's dtype) are not averaged
                entry.setdefault(key, []).append(float(value))
        entry.setdefault("seconds", []).append(r["seconds"])
        if "seconds_final_eval" in r:  # tasks with a final feature evaluation time it apart from training
            entry.setdefault("eval seconds", []).append(r["seconds_final_eval"])
        for label, metrics in sweep_rows(r).items():  # the same run at other sampler settings: no training time
            row = out[r["task"]].setdefault(label, {})
            for key, value in metrics.items():
                if key.split("/")[-1] not in SKIP:
                    row.setdefault(key, []).append(float(value))
    return {t: {e: {k: (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in m.items()}
                for e, m in entries.items()} for t, entries in out.items()}


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_same_final_samples(records: list[dict]) -> None:
    """Seeds of one entry scored at different n would average FDs of different bias: refused in one line."""
    seen: dict[tuple[str, str], int] = {}
    for r in records:
        n = r.get("final_samples")
        if n is not None and seen.setdefault((r["task"], r["entry"]), n) != n:
            raise ConfigError(f"bench quality: {r['task']}/{r['entry']} has seeds scored at {seen[r['task'], r['entry']]} "
                              f"and at {n} final samples; rerun one of them with --final-samples {n} or {seen[r['task'], r['entry']]}")


def column_name(metric: str) -> str:
    """'toy/hq' -> 'hq'; refinement entries' 'refined/toy/hq' -> 'refined hq'; SWD's levels 'swd/avg' -> 'swd avg'."""
    prefix = "swd " if metric.startswith("swd/") else ""
    return ("refined " if metric.startswith("refined/") else "") + prefix + metric.split("/")[-1]


def cell(mean: float, std: float, n: int) -> str:
    return f"{mean:.3g} ± {std:.2g}" if n > 1 else f"{mean:.3g}"  # one seed has no spread to show


def markdown(summary: dict) -> str:
    lines = []
    for task, entries in summary.items():
        last = [m for m in ("seconds", "eval seconds") if any(m in values for values in entries.values())]
        metrics = [m for m in dict.fromkeys(m for values in entries.values() for m in values) if m not in last]
        metrics += last  # every entry's metrics in order of appearance, then the time per run
        swept = "; ENTRY @ N steps: the same runs sampled with N steps after training" \
            if any(" @ " in entry for entry in entries) else ""
        lines += [f"**{task}** (mean ± std over seeds of the final evaluation; EMA generator unless the entry "
                  f"sets train.ema_decay=0{swept})", "",
                  "| entry | seeds | " + " | ".join(column_name(m) for m in metrics) + " |",
                  "|---" * (len(metrics) + 2) + "|"]
        for entry, values in sorted(entries.items()):
            cells = [cell(*values[m]) if m in values else "" for m in metrics]
            seeds = max(n for _, _, n in values.values())
            lines.append(f"| {entry} | {seeds} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(records: list[dict], out: Path) -> list[Path]:
    """One PNG per task: the headline metric against step, mean over seeds, one line per entry; and TASK-curves.png
    where the records keep the critic's sign curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for task in sorted({r["task"] for r in records}):
        metric = HEADLINE[task]
        fig, ax = plt.subplots(figsize=(9, 6), dpi=100)
        for i, entry in enumerate(sorted({r["entry"] for r in records if r["task"] == task})):
            runs = [r["history"] for r in records if r["task"] == task and r["entry"] == entry]
            steps = sorted({h["step"] for run in runs for h in run if metric in h})
            means = [statistics.mean(h[metric] for run in runs for h in run if h["step"] == s and metric in h)
                     for s in steps]
            style = ("-", "--", ":")[i // 10 % 3]  # the colour cycle has 10 colours; then the line style changes
            ax.plot(steps, means, marker="o", linestyle=style, label=entry)
        ax.set_xlabel("step")
        ax.set_ylabel(metric)
        ax.set_yscale("log" if metric == "digits/fd" else "linear")
        ax.set_title(task)
        ax.legend(fontsize="small", ncol=2)
        path = out / f"{task}.png"
        write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
        plt.close(fig)
        paths.append(path)
        curves = plot_curves([r for r in records if r["task"] == task], out / f"{task}-curves.png")
        paths += [curves] if curves else []
    return paths


README_MARKERS = ("<!-- bench quality: begin -->", "<!-- bench quality: end -->")


def check_readme(readme: Path) -> None:
    """Before the bench runs: --readme names a readable file holding both bench markers."""
    check_markers(readme, README_MARKERS, "bench quality --readme")


def task_markers(task: str) -> tuple[str, str]:
    """The README markers of a task whose table stands apart from the others (T3's beside its ladder)."""
    return f"<!-- bench quality {task}: begin -->", f"<!-- bench quality {task}: end -->"


def write_readme(readme: Path, summary: dict, command_for: Callable[[list[str]], str]) -> None:
    """Each task with its own markers in the README gets its table there; the others go between the general bench
    markers. command_for(tasks) is the command that regenerates a section, written above its table."""
    content = Path(readme).read_text()
    apart = [t for t in summary if all(m in content for m in task_markers(t))]
    together = {t: v for t, v in summary.items() if t not in apart}
    if together:
        write_readme_section(readme, markdown(together), command_for(sorted(together)))
    for task in apart:
        write_readme_section(readme, markdown({task: summary[task]}), command_for([task]), task_markers(task))


def write_readme_section(readme: Path, text: str, command: str, markers: tuple[str, str] = README_MARKERS) -> None:
    """Replaces what stands between the bench markers (or a task's own) of the README; nothing without them."""
    replace_between_markers(readme, markers, text, command)
