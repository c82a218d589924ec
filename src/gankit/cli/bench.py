"""`gankit bench quality | speed | threads`: one subcommand per benchmark, each with its own options."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ..files import write_atomic
from .common import positive_int, seed_int


def cmd_threads(args: argparse.Namespace) -> int:
    from ..bench.threads import print_threads, run_threads

    print_threads(run_threads(args.repeats, args.iterations))
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    import json

    from ..bench.nfe import plot_nfe
    from ..bench.quality import check_readme, load_records, markdown, plot, run_quality, summarise, write_readme

    tasks, entries = quality_selection(args)
    if args.readme:
        check_readme(Path(args.readme))  # a README without the bench markers is refused before hours of training
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        run_quality(tasks, args.seeds, out, args.workers, entries, args.rerun, args.final_samples)
    records = [r for r in load_records(out) if r["seed"] < args.seeds]  # earlier tasks' runs are reported too
    summary = summarise(records)
    summary_text, text = json.dumps(summary, indent=1) + "\n", markdown(summary)
    write_atomic(out / "summary.json", lambda tmp: Path(tmp).write_text(summary_text))
    write_atomic(out / "quality.md", lambda tmp: Path(tmp).write_text(text))
    plots = plot(records, out) + plot_nfe(records, out)
    print(text)
    print(f"wrote {out / 'quality.md'}, {out / 'summary.json'}, " + ", ".join(str(p) for p in plots))
    if args.readme:
        scored_at = args.final_samples or max((r.get("final_samples", 0) for r in records), default=0)
        write_readme(Path(args.readme), summary, lambda done: regenerating_command(args, done, scored_at))
    return 0


def regenerating_command(args: argparse.Namespace, tasks: list[str], final_samples: int = 0) -> str:
    """The command that regenerates (and resumes) a README section of these tasks' records; final_samples: the n
    their final feature evaluation was scored at (recorded), so more seeds are scored alike."""
    from ..bench.tasks import FINAL_FEATURES

    final = final_samples and any(task in FINAL_FEATURES for task in tasks)
    return (f"gankit bench quality --tasks {','.join(tasks)} --seeds {args.seeds} --out {args.out}"
            + (f" --final-samples {final_samples}" if final else ""))


def quality_selection(args: argparse.Namespace) -> tuple[list[str], list[str] | None]:
    """(tasks, entries or None for all) of `bench quality`, every name checked before anything runs."""
    from ..bench.tasks import TASKS
    from ..registry import did_you_mean

    tasks = args.tasks.split(",") if args.tasks else list(TASKS)
    for task in tasks:
        if task not in TASKS:
            raise ConfigError(f"bench quality --tasks: unknown task {task!r}{did_you_mean(task, list(TASKS))}; "
                              f"tasks: {', '.join(TASKS)}")
    entries = args.entries.split(",") if args.entries else None
    known = {e for t in tasks for e in TASKS[t]}
    for entry in entries or ():
        if entry not in known:
            raise ConfigError(f"bench quality --entries: unknown entry {entry!r} in tasks {', '.join(tasks)}"
                              f"{did_you_mean(entry, sorted(known))}; entries: {', '.join(sorted(known))}")
    return tasks, entries


def cmd_gallery(args: argparse.Namespace) -> int:
    from ..bench.gallery import write_gallery
    from ..bench.quality import load_records
    from ..bench.tasks import TASKS
    from ..config import build_config
    from ..data import dataset_for

    tasks, _ = quality_selection(argparse.Namespace(tasks=args.tasks, entries=None))
    records = load_records(Path(args.out))
    for task in tasks:
        if not any(r["task"] == task and r["seed"] == args.seed for r in records):
            raise ConfigError(f"bench gallery: no records of task {task} seed {args.seed} in {args.out}; run "
                              f"`gankit bench quality --tasks {task} --out {args.out}` first")
    for task in tasks:
        dataset = dataset_for(build_config(next(iter(TASKS[task].values()))).data)  # a task's entries share their data
        for path in write_gallery(records, task, Path(args.figures), dataset, args.seed):
            print(f"wrote {path}")
    return 0


def names(text: str) -> tuple[str, ...]:
    """'a,b' -> ('a', 'b'); 'none' or '' -> ()."""
    return () if text in ("", "none") else tuple(text.split(","))


def cmd_speed(args: argparse.Namespace) -> int:
    import json

    from ..bench.roofline import roofline_record, roofline_table, run_roofline
    from ..bench.ttq import T3_PRESET

    roofline_presets, speed_presets, ttq_presets = speed_selection(args)
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise ConfigError(f"bench speed --out {out}: folder {out.parent} does not exist")
    open_datasets(roofline_presets + speed_presets + ttq_presets + ((T3_PRESET,) if args.t3_ttq else ()))
    peak, rows = run_roofline(roofline_presets, args.roofline_repeats, args.iterations, args.threads,
                              args.inception_images)
    print(roofline_table(peak, rows))
    record = {"roofline": roofline_record(peak, rows)}
    if not args.roofline_only:
        print()
        record.update(ratios_and_time_to_quality(args, speed_presets, ttq_presets))
    if out is not None:
        text = json.dumps(record, indent=1) + "\n"
        write_atomic(out, lambda tmp: Path(tmp).write_text(text))
        print(f"wrote {out}")
    return 0


def speed_selection(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(roofline presets, presets timed against the plain loop, time-to-quality presets) of `bench speed`,
    every name checked before anything runs (the last two empty with --roofline-only)."""
    from ..bench.ttq import TTQ_PRESETS
    from ..presets import load_preset

    roofline_presets = names(args.roofline_presets)
    speed_presets = () if args.roofline_only else names(args.presets)
    ttq_presets = () if args.roofline_only else TTQ_PRESETS if args.ttq_presets is None else names(args.ttq_presets)
    for preset in roofline_presets + speed_presets + ttq_presets:
        load_preset(preset)  # an unknown name fails now, with did-you-mean, not after minutes of timing
    if args.roofline_only and args.t3_ttq:
        raise ConfigError("bench speed: --t3-ttq races after the iteration ratios, which --roofline-only skips; drop one")
    if args.presets_only and (args.roofline_only or not speed_presets):
        raise ConfigError("bench speed: --presets-only times the --presets against the plain loop; with "
                          f"{'--roofline-only' if args.roofline_only else '--presets none'} it would time nothing")
    for preset in ttq_presets:
        if not load_preset(preset).get("data", {}).get("name", "").startswith("digits"):
            raise ConfigError(f"bench speed --ttq-presets {preset}: time to quality races to a digits FD; name digits presets")
    return roofline_presets, speed_presets, ttq_presets


def open_datasets(presets: tuple[str, ...]) -> None:
    """Each preset's dataset opened as the preset reads it (resolution, channels, ...; image archives lazily,
    nothing decoded) before anything is timed, so missing data (the emoji before `make emoji`) fails now with how
    to build it, not after minutes of roofline."""
    from ..config import build_config
    from ..data import STREAMABLE, load_dataset
    from ..presets import load_preset

    reads = {(d.name, d.resolution, d.channels, d.max_classes, d.fit) for d in (build_config(load_preset(p)).data
                                                                              for p in presets)}
    for name, resolution, channels, max_classes, fit in sorted(reads):
        load_dataset(name, resolution, stream=name.partition(":")[0] in STREAMABLE, channels=channels,
                     max_classes=max_classes, fit=fit)


def ratios_and_time_to_quality(args: argparse.Namespace, speed_presets: tuple[str, ...],
                               ttq_presets: tuple[str, ...]) -> dict:
    """The bench's second and third parts, printed; returned for --out."""
    from ..bench.speed import print_speed, run_speed
    from ..bench.ttq import print_time_to_quality, run_time_to_quality

    ratios = run_speed(args.repeats, args.iterations, args.threads, speed_presets, not args.presets_only)
    print_speed(ratios)
    record = {"ratios": ratios}
    if ttq_presets:
        rows = run_time_to_quality(ttq_presets, args.ttq_threshold, args.ttq_eval_every, args.ttq_max_steps, args.threads)
        print_time_to_quality(rows, args.ttq_threshold, args.ttq_eval_every)
        record["time_to_quality"] = rows
    if args.t3_ttq:
        from ..bench.ttq import T3_EVAL_EVERY, T3_THRESHOLD, run_time_to_quality_t3

        rows = run_time_to_quality_t3(threads=args.threads)
        print_time_to_quality(rows, T3_THRESHOLD, T3_EVAL_EVERY, "T3 SWD", "the defaults")
        record["time_to_quality_t3"] = rows
    return record


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="benchmarks: quality (tasks x objectives x seeds), speed, threads, gallery",
                       description="Benchmarks, one subcommand each; 'gankit bench SUITE --help' lists its options.")
    suites = b.add_subparsers(dest="suite", metavar="SUITE", required=True)
    add_quality_parser(suites)
    add_speed_parser(suites)
    add_threads_parser(suites)
    add_gallery_parser(suites)


def add_gallery_parser(suites) -> None:
    g = suites.add_parser("gallery", help="a sample grid per benchmarked entry and one of real images, as PNGs",
                          description="From the records of `bench quality` in its output folder: for each entry of the tasks "
                                      "(the runs of one seed), an 8x8 grid of samples of its final checkpoint (EMA "
                                      "generator) on the same fixed noise, one row per class for a class-conditional "
                                      "run, reconstructions for a run that cannot sample (and a second grid of them "
                                      "for one with an encoder); and an 8x8 grid of real images. Written to "
                                      "FIGURES/<task>-<entry>.png and FIGURES/<task>-real.png.")
    g.add_argument("--tasks", default="t3", help="comma-separated tasks with image data (default t3)")
    g.add_argument("--out", default="results", help="the bench quality output folder holding the records "
                                                    "(default results)")
    g.add_argument("--seed", type=seed_int, default=0, help="whose runs to draw: the seed of the records (default 0)")
    g.add_argument("--figures", default="docs/figures", help="folder for the PNGs (default docs/figures)")
    g.set_defaults(func=cmd_gallery)


def add_quality_parser(suites) -> None:
    q = suites.add_parser("quality", help="train every benchmark task's entries for N seeds and tabulate them",
                          description="Train every benchmark task's entries for N seeds (two at a time) and write "
                                      "results/*.json, results/quality.md and a plot per task. Diffusion teachers are "
                                      "evaluated again at other sampler step counts after training (rows 'ENTRY @ N "
                                      "steps (M NFE)', and TASK-nfe.png: the metric against NFE with the distilled "
                                      "students); a record kept from before gets them from its run directory.")
    q.add_argument("--tasks", help="comma-separated tasks (t1-ring, t1-grid, t1-collapse, t2, t3, t3-small, t5-codes, precision, accumulate); "
                                   "default all")
    q.add_argument("--seeds", type=positive_int, default=3, help="seeds per entry (default 3)")
    q.add_argument("--workers", type=positive_int, default=2, help="runs in parallel, one thread each (default 2)")
    q.add_argument("--out", default="results", help="output folder (default results)")
    q.add_argument("--entries", help="comma-separated entries of those tasks (e.g. digits-sngan); default all")
    q.add_argument("--rerun", action="store_true",
                   help="train every selected run again from step 0, in a new folder OUT/runs/TASK-ENTRY-sSEED-rN "
                        "(the recorded runs stay). Default: skip runs recorded at their entry's steps, and continue a "
                        "run folder that holds checkpoints from its last one, so an interrupted bench resumes where "
                        "it stopped and an entry whose steps were raised trains only the new steps; a run there of "
                        "another config, or past the entry's steps, is refused in one line")
    q.add_argument("--final-samples", type=positive_int, default=None, metavar="N",
                   help="score only the first N evaluation samples in the final feature evaluation of tasks that have "
                        "one (t3: Inception features, default all 2,000; 600 matches the README's T3 ladder at n = 600 "
                        "and costs a third of the time)")
    q.add_argument("--report-only", action="store_true",
                   help="train and evaluate nothing; rewrite the table, plots and README section from the records "
                        "in --out")
    q.add_argument("--readme", metavar="FILE", help="also rewrite the results section of this README (between its "
                                                    "bench quality markers)")
    q.set_defaults(func=cmd_quality)


def add_speed_parser(suites) -> None:
    from ..bench.roofline import INCEPTION_IMAGES, ROOFLINE_PRESETS
    from ..bench.speed import SPEED_PRESETS

    s = suites.add_parser("speed", help="roofline (fraction of the matmul peak), gankit's iteration against a plain "
                                        "PyTorch loop, then time to quality",
                          description="First the roofline: the machine's fp32 and bf16 matmul peak, then for each "
                                      "preset's training iteration and the evaluation networks the time, the FLOPs "
                                      "counted by torch.utils.flop_counter and the fraction of the peak. Then "
                                      "gankit's iteration against a plain PyTorch loop, interleaved in one process "
                                      "(T2 networks, shipped presets as users run them, D-step overheads, the "
                                      "single-loss schedule, bf16 against fp32), then time to a digits FD against the "
                                      "plain WGAN-GP loop.")
    s.add_argument("--repeats", type=positive_int, default=15, help="interleaved repeats (default 15)")
    s.add_argument("--iterations", type=positive_int, default=20,
                   help="iterations per timing, also the roofline's (default 20)")
    s.add_argument("--threads", type=positive_int, default=1, help="torch threads, the peak's too (default 1)")
    s.add_argument("--presets", default=",".join(SPEED_PRESETS),
                   help="presets timed as shipped (EMA, periodic work) against the plain loop written with the same "
                        "loss, autocast and memory layout; 'none' skips (default "
                        f"{','.join(SPEED_PRESETS)}; emoji-dcgan needs `make emoji`)")
    s.add_argument("--presets-only", action="store_true",
                   help="time only --presets against the plain loop: leave out the T2 pairs, the penalty and critic "
                        "overheads, the single-loss schedule and bf16 against fp32")
    s.add_argument("--roofline-presets", default=",".join(ROOFLINE_PRESETS),
                   help="presets whose training iteration the roofline times and counts; 'none' leaves only the "
                        f"evaluation networks (default {','.join(ROOFLINE_PRESETS)})")
    s.add_argument("--roofline-repeats", type=positive_int, default=5,
                   help="timings per roofline row and per peak matmul, median taken (default 5)")
    s.add_argument("--inception-images", type=positive_int, default=INCEPTION_IMAGES,
                   help=f"32x32 RGB images per timing of the Inception row (default {INCEPTION_IMAGES}, one batch)")
    s.add_argument("--roofline-only", action="store_true",
                   help="print the roofline table and stop (no plain-loop ratios, no time to quality)")
    s.add_argument("--out", metavar="FILE", help="also write everything measured as JSON to FILE")
    s.add_argument("--ttq-presets", default=None,
                   help="digits presets raced to the FD threshold against the plain WGAN-GP loop (time to quality, "
                        "docs/benchmarks.md section 9); 'none' skips (default digits-wgan-gp,digits-sngan)")
    s.add_argument("--ttq-threshold", type=float, default=5.0, help="the digits FD to reach (default 5)")
    s.add_argument("--ttq-eval-every", type=positive_int, default=250, help="steps between FD checks (default 250)")
    s.add_argument("--ttq-max-steps", type=positive_int, default=6000,
                   help="give up on a run after this many steps (default 6000)")
    s.add_argument("--t3-ttq", action="store_true",
                   help="also race emoji-dcgan at the defaults (fp32, contiguous) against as shipped (channels-last, "
                        "precision auto) to T3's SWD <= 40, checked every 500 steps off the clock (needs `make emoji`; "
                        "about 10 minutes on one core)")
    s.set_defaults(func=cmd_speed)


def add_threads_parser(suites) -> None:
    t = suites.add_parser("threads", help="ms per digits iteration per torch thread count",
                          description="ms per digits iteration per torch thread count, idle and beside a competing "
                                      "2-thread job.")
    t.add_argument("--repeats", type=positive_int, default=3, help="repeats per setting (default 3)")
    t.add_argument("--iterations", type=positive_int, default=10, help="iterations per timing (default 10)")
    t.set_defaults(func=cmd_threads)
