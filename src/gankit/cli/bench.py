"""`gankit bench quality | speed`."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ..files import write_atomic
from .common import positive_int


def cmd_bench(args: argparse.Namespace) -> int:
    if args.suite == "threads":
        from ..bench.threads import print_threads, run_threads

        print_threads(run_threads(args.repeats or 3, args.iterations or 10))
        return 0
    if args.suite == "speed":
        return bench_speed(args)
    import json

    from ..bench.quality import load_records, markdown, plot, run_quality, summarise, write_readme_section
    from ..bench.tasks import TASKS

    tasks = args.tasks.split(",") if args.tasks else list(TASKS)
    for task in tasks:
        if task not in TASKS:
            from ..registry import did_you_mean

            raise ConfigError(f"unknown task {task!r}{did_you_mean(task, list(TASKS))}; tasks: {', '.join(TASKS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    entries = args.entries.split(",") if args.entries else None
    known = {e for t in tasks for e in TASKS[t]}
    for entry in entries or ():
        if entry not in known:
            raise ConfigError(f"unknown entry {entry!r} in tasks {', '.join(tasks)}; entries: {', '.join(sorted(known))}")
    if not args.report_only:
        run_quality(tasks, args.seeds, out, args.workers, entries, args.rerun)
    records = [r for r in load_records(out) if r["seed"] < args.seeds]  # earlier tasks' runs are reported too
    summary = summarise(records)
    summary_text, text = json.dumps(summary, indent=1) + "\n", markdown(summary)
    write_atomic(out / "summary.json", lambda tmp: Path(tmp).write_text(summary_text))
    write_atomic(out / "quality.md", lambda tmp: Path(tmp).write_text(text))
    plots = plot(records, out)
    print(text)
    print(f"wrote {out / 'quality.md'}, {out / 'summary.json'}, " + ", ".join(str(p) for p in plots))
    if args.readme:
        done = sorted({r["task"] for r in records})
        command = f"gankit bench quality --tasks {','.join(done)} --seeds {args.seeds} --out {args.out}"  # resumable
        write_readme_section(Path(args.readme), text, command)
    return 0


def names(text: str) -> tuple[str, ...]:
    """'a,b' -> ('a', 'b'); 'none' or '' -> ()."""
    return () if text in ("", "none") else tuple(text.split(","))


def bench_speed(args: argparse.Namespace) -> int:
    from ..bench.speed import print_speed, run_speed
    from ..bench.ttq import TTQ_PRESETS, print_time_to_quality, run_time_to_quality
    from ..presets import load_preset

    speed_presets = names(args.presets)
    ttq_presets = TTQ_PRESETS if args.ttq_presets is None else names(args.ttq_presets)
    for preset in speed_presets + ttq_presets:
        load_preset(preset)  # an unknown name fails now, with did-you-mean, not after minutes of timing
    for preset in ttq_presets:
        if not load_preset(preset).get("data", {}).get("name", "").startswith("digits"):
            raise ConfigError(f"--ttq-presets {preset}: time to quality races to a digits FD; name digits presets")
    print_speed(run_speed(args.repeats or 15, args.iterations or 20, args.threads, speed_presets))
    if ttq_presets:
        rows = run_time_to_quality(ttq_presets, args.ttq_threshold, args.ttq_eval_every, args.ttq_max_steps, args.threads)
        print_time_to_quality(rows, args.ttq_threshold, args.ttq_eval_every)
    return 0


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="benchmarks: quality (tasks x objectives x seeds) or speed (ratios, time to quality)",
                       description="quality: train every benchmark task's entries for N seeds (two at a time) and "
                                   "write results/*.json, results/quality.md and a plot per task. speed: gankit's "
                                   "iteration against a plain PyTorch loop, interleaved in one process (T2 networks, "
                                   "shipped presets as users run them, D-step overheads, the single-loss schedule, bf16 "
                                   "against fp32), then time to a digits FD "
                                   "against the plain WGAN-GP loop. threads: ms per digits iteration per torch thread "
                                   "count, idle and beside a competing 2-thread job.")
    b.add_argument("suite", choices=["quality", "speed", "threads"], help="which benchmark")
    b.add_argument("--tasks", help="quality: comma-separated tasks (t1-ring, t1-grid, t1-collapse, t2, t5-codes, precision); default all")
    b.add_argument("--seeds", type=positive_int, default=3, help="quality: seeds per entry (default 3)")
    b.add_argument("--workers", type=positive_int, default=2, help="quality: runs in parallel, one thread each (default 2)")
    b.add_argument("--out", default="results", help="quality: output folder (default results)")
    b.add_argument("--entries", help="quality: comma-separated entries of those tasks (e.g. digits-sngan); default all")
    b.add_argument("--rerun", action="store_true",
                   help="quality: train again runs whose record is already in the output folder (default: skip them, "
                        "so an interrupted bench resumes where it stopped)")
    b.add_argument("--report-only", action="store_true",
                   help="quality: train nothing; rewrite the table, plots and README section from the records in --out")
    b.add_argument("--readme", metavar="FILE", help="quality: also rewrite the results section of this README")
    b.add_argument("--repeats", type=positive_int, default=None,
                   help="speed: interleaved repeats (default 15); threads: repeats per setting (default 3)")
    b.add_argument("--iterations", type=positive_int, default=None,
                   help="speed: iterations per timing (default 20); threads: iterations per timing (default 10)")
    b.add_argument("--threads", type=positive_int, default=1, help="speed: torch threads (default 1)")
    b.add_argument("--presets", default="ring8-wgan-gp,digits-wgan-gp",
                   help="speed: presets timed as shipped (EMA, periodic work) against the plain loop; 'none' skips "
                        "(default ring8-wgan-gp,digits-wgan-gp)")
    b.add_argument("--ttq-presets", default=None,
                   help="speed: digits presets raced to the FD threshold against the plain WGAN-GP loop (time to "
                        "quality, docs/benchmarks.md section 9); 'none' skips (default digits-wgan-gp,digits-sngan)")
    b.add_argument("--ttq-threshold", type=float, default=5.0, help="speed: the digits FD to reach (default 5)")
    b.add_argument("--ttq-eval-every", type=positive_int, default=250, help="speed: steps between FD checks (default 250)")
    b.add_argument("--ttq-max-steps", type=positive_int, default=6000,
                   help="speed: give up on a run after this many steps (default 6000)")
    b.set_defaults(func=cmd_bench)
