"""gankit command line: train | sample | eval | encode | reconstruct | interpolate | inspect | evaluator | bench | list."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .config import Config, build_config
from .errors import ConfigError, GankitError
from .train.checkpoint import write_atomic

RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "log.")


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, or numpy appends .npz to the temporary name
            np.savez(f, **arrays)

    write_atomic(path, write)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def make_run_dir(cfg: Config) -> Path:
    """runs/<date>-<name>/, made unique with a counter if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(cfg.out_dir) / f"{stamp}-{cfg.name or 'run'}"
    path, i = base, 1
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    (path / "samples").mkdir(parents=True)
    (path / "checkpoints").mkdir()
    return path


def config_for_resume(run_dir: Path, overrides: list[str]) -> Config:
    from .train.checkpoint import find_checkpoint, load_checkpoint

    for text in overrides:
        key = text.split("=", 1)[0]
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              "(only train.steps, train.device, train.threads and log.*)")
    _, meta = load_checkpoint(find_checkpoint(run_dir))
    return build_config(meta["config"], overrides=overrides)


def cmd_train(args: argparse.Namespace) -> int:
    import yaml

    from .data import load_dataset
    from .experiment import build_experiment
    from .presets import DEFAULT, load_preset
    from .train.trainer import Trainer, require_resumable

    if args.resume:
        if args.preset or args.config:
            raise ConfigError("--resume takes the run's own config; drop the preset and --config")
        run_dir = Path(args.resume)
        require_resumable(run_dir)
        cfg = config_for_resume(run_dir, args.set)
    else:
        cfg = build_config(load_preset(args.preset or DEFAULT), [Path(p) for p in args.config], args.set)
    dataset = load_dataset(cfg.data.name, cfg.data.resolution)
    exp = build_experiment(cfg, dataset.spec)
    if args.resume:
        trainer = Trainer(exp, dataset, run_dir)
        path = trainer.resume()
        print(f"resuming {run_dir} from step {trainer.step} ({path.name})")
        if trainer.step >= cfg.train.steps:
            print(f"the run is already at step {trainer.step} of {cfg.train.steps}; raise it with --set train.steps=N")
            return 0
    else:
        run_dir = make_run_dir(cfg)
        trainer = Trainer(exp, dataset, run_dir)
    text = yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    write_atomic(run_dir / "config.yaml", lambda tmp: Path(tmp).write_text(text))
    print(f"run directory: {run_dir}")
    result = trainer.fit()
    print_summary(result)
    return 130 if result["interrupted"] else 0


def print_summary(result: dict) -> None:
    if result["interrupted"]:
        run_dir = Path(result["checkpoint"]).parent.parent
        print(f"stopped at step {result['step']}; resume with: gankit train --resume {run_dir}")
    print(f"samples:    {result['samples']}")
    print(f"checkpoint: {result['checkpoint']}")
    for key, value in result["metrics"].items():
        print(f"  {key:<20} {value:.4g}" if isinstance(value, float) else f"  {key:<20} {value}")


def cmd_sample(args: argparse.Namespace) -> int:
    from .experiment import experiment_from_checkpoint
    from .viz import plot_points, save_image_grid

    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    use_ema = exp.has_ema and not args.no_ema
    x = exp.generate(exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed)), use_ema)
    out = Path(args.output) if args.output else Path(meta["path"]).parent.parent / "samples" / f"sample-seed{args.seed}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        save_npz(out, x=x.numpy())
    elif exp.spec.is_image:
        save_image_grid(x, out, nrow=args.nrow)
    else:
        plot_points(x[:, :2], out, title=f"{args.n} samples, step {meta['step']}")
    which = "EMA generator" if use_ema else "generator"
    print(f"wrote {args.n} samples of the {which} at step {meta['step']} to {out}")
    return 0


def data_for(exp, name: str | None, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(x, labels or None) from dataset `name` (default: the run's own) at the run's resolution: the first n
    items of a finite dataset in its order (all of them for n = 0), or n fresh draws."""
    from .data import load_dataset
    from .data.base import TensorDataset

    dataset = load_dataset(name or exp.cfg.data.name, exp.cfg.data.resolution)
    if dataset.spec.shape != exp.spec.shape:
        raise ConfigError(f"--data {dataset.spec.name} gives items of shape {list(dataset.spec.shape)}; "
                          f"this run's generator makes {list(exp.spec.shape)}")
    if isinstance(dataset, TensorDataset):
        n = n or len(dataset)
        return dataset.x[:n], None if dataset.labels is None else dataset.labels[:n]
    return dataset.sample(n or 1000, torch.Generator().manual_seed(seed)), None


def cmd_encode(args: argparse.Namespace) -> int:
    from .experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    x, y = data_for(exp, args.data, args.n, args.seed)
    use_ema = exp.has_ema and not args.no_ema
    codes = exp.encode(x, use_ema)
    out = Path(args.output)
    save_npz(out, z=codes.numpy(), **({} if y is None else {"y": y.numpy()}))
    print(f"wrote codes [{len(codes)}, {codes.shape[1]}] of {len(x)} items of {args.data or exp.cfg.data.name} "
          f"({'EMA encoder' if use_ema else 'encoder'} at step {meta['step']}) to {out}"
          + (" with their labels" if y is not None else ""))
    return 0


def picture_job(args: argparse.Namespace, command: str):
    """(experiment, metadata, output path, use_ema) for a command that writes an image grid or an .npz."""
    from .experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    out = Path(args.output)
    if out.suffix != ".npz" and not exp.spec.is_image:
        raise ConfigError(f"{out}: {command} draws image grids; dataset {exp.spec.name} is vectors, write .npz")
    return exp, meta, out, exp.has_ema and not args.no_ema


def cmd_reconstruct(args: argparse.Namespace) -> int:
    from .viz import save_image_grid

    exp, meta, out, use_ema = picture_job(args, "reconstruct")
    x, _ = data_for(exp, args.data, args.n, args.seed)
    recon = exp.reconstruct(x, use_ema)
    if out.suffix == ".npz":
        save_npz(out, x=x.numpy(), reconstruction=recon.numpy())
    else:
        rows = [part for pair in zip(x.split(args.nrow), recon.split(args.nrow)) for part in pair]
        save_image_grid(torch.cat(rows), out, nrow=args.nrow)
    mse = float((x - recon).pow(2).mean())
    print(f"wrote {len(x)} items of {args.data or exp.cfg.data.name} and their reconstructions G(E(x)) "
          f"({'EMA generator' if use_ema else 'generator'}, step {meta['step']}; mean squared error {mse:.4f}) to {out}"
          + ("" if out.suffix == ".npz" else ": originals above reconstructions"))
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    from .latent import interpolation_rows
    from .viz import save_image_grid

    exp, meta, out, use_ema = picture_job(args, "interpolate")
    generator = torch.Generator().manual_seed(args.seed)
    if args.data:  # between real items: their codes are the ends, the items themselves frame each row
        x, _ = data_for(exp, args.data, 0, args.seed)
        if len(x) < 2 * args.rows:
            raise ConfigError(f"--data {args.data} has {len(x)} items; {args.rows} rows need {2 * args.rows}")
        pick = torch.randperm(len(x), generator=generator)[: 2 * args.rows]
        ends = x[pick].view(2, args.rows, *x.shape[1:])
        codes = exp.encode(torch.cat([ends[0], ends[1]]), use_ema)
        starts, stops = codes[: args.rows], codes[args.rows:]
    else:
        starts, stops = exp.objective.sample_z(2 * args.rows, generator).split(args.rows)
    images = exp.generate(interpolation_rows(starts, stops, args.steps, args.mode), use_ema)
    if args.data:
        images = images.view(args.rows, args.steps, *images.shape[1:])
        images = torch.cat([ends[0][:, None], images, ends[1][:, None]], dim=1).flatten(0, 1)
    per_row = args.steps + (2 if args.data else 0)
    if out.suffix == ".npz":
        save_npz(out, x=images.view(args.rows, per_row, *images.shape[1:]).numpy())
    else:
        save_image_grid(images, out, nrow=per_row)
    what = f"between pairs of {args.data} items (shown at both ends)" if args.data else "between random latent codes"
    print(f"wrote {args.rows} rows of {args.steps}-step {args.mode} interpolation {what} "
          f"({'EMA generator' if use_ema else 'generator'}, step {meta['step']}) to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .data import load_dataset
    from .experiment import experiment_from_checkpoint
    from .metrics import METRICS

    if args.target == "baselines":
        return eval_baselines(args)
    exp, meta = experiment_from_checkpoint(Path(args.target), device=args.device)
    names = args.metrics.split(",") if args.metrics else list(exp.spec.metrics)
    with_encoder = exp.objective.has_encoder and (not args.metrics or "encoder" in names)
    if "encoder" in names and not exp.objective.has_encoder:
        raise ConfigError(f"--metrics encoder: this run's objective {exp.cfg.objective.name!r} has no encoder")
    names = [n for n in names if n != "encoder"]
    if not names and not with_encoder and args.features != "inception":
        raise ConfigError(f"dataset {exp.spec.name} lists no metrics; name some with --metrics (gankit list metrics)")
    dataset = load_dataset(exp.cfg.data.name, exp.cfg.data.resolution)
    use_ema = exp.has_ema and not args.no_ema
    n = args.n or exp.cfg.log.eval_samples
    samples = exp.generate(exp.objective.sample_z(n, torch.Generator().manual_seed(args.seed)), use_ema)
    print(f"evaluating {n} samples of the {'EMA generator' if use_ema else 'generator (no EMA)'} "
          f"at step {meta['step']} ({meta['path']})")
    results = {}
    if args.features == "inception":
        results.update(inception_metrics(samples, dataset, args.inception_weights))
    else:
        for name in names:
            for key, value in METRICS.get(name)(samples, dataset).items():
                results[f"{name}/{key}"] = value
    if with_encoder:
        from .metrics.encoder import encoder_metrics

        results.update({f"encoder/{k}": v for k, v in encoder_metrics(exp, dataset, use_ema).items()})
    print_table({"": results})
    out = Path(args.output) if args.output else Path(meta["path"]).parent.parent / f"eval-step-{meta['step']:07d}.json"
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "n": n, "seed": args.seed,
              "metrics": results}
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def inception_metrics(samples: torch.Tensor, dataset, weights: str | None) -> dict:
    """FD, KID, precision / recall, density / coverage in Inception features against as many real images."""
    from .metrics.digits import feature_set_metrics
    from .metrics.inception import cached_features, inception_extractor, weights_id

    if not dataset.spec.is_image:
        raise ConfigError(f"--features inception needs image data; {dataset.spec.name} is vectors")
    extract = inception_extractor(weights)
    real = dataset.sample(len(samples), torch.Generator().manual_seed(0))
    real_features = cached_features(real, extract, weights_id(weights))
    out = feature_set_metrics(real_features, extract(samples).double(), kid=True)
    return {f"inception/{k}": v for k, v in out.items()} | {"inception/extractor": weights_id(weights)}


def eval_baselines(args: argparse.Namespace) -> int:
    """The digits ladder of benchmarks.md section 3, in evaluator features against the held-out digits."""
    import json

    from .metrics import digits_metrics
    from .metrics.baselines import BASELINES, N

    rows = {name: digits_metrics(sampler(N, args.seed)) for name, sampler in BASELINES.items()}
    print_table(rows)
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")
        print(f"wrote {args.output}")
    return 0


def print_table(rows: dict[str, dict]) -> None:
    """One row per entry, one column per metric (strings such as the evaluator version go below)."""
    first = next(iter(rows.values()))
    numeric = [k for k, v in first.items() if not isinstance(v, str)]
    width = max([len(r) for r in rows] + [6])
    print(f"{'':<{width}}  " + "  ".join(f"{k.split('/')[-1]:>10}" for k in numeric))
    for name, row in rows.items():
        print(f"{name:<{width}}  " + "  ".join(f"{row[k]:>10.4g}" for k in numeric))
    for k, v in first.items():
        if isinstance(v, str):
            print(f"{k}: {v}")


def lipschitz_setup(cfg: Config) -> str:
    """How the run kept its critic Lipschitz: objective, penalties, constraints, as the config says."""
    parts = [f"objective {cfg.objective.name}" + (f" {cfg.objective.options}" if cfg.objective.options else "")]
    parts += [f"penalty {p.name} (weight {p.weight:g}" + (f", every {p.every}" if p.every > 1 else "") + ")"
              for p in cfg.penalties]
    parts += [f"constraint {c.name} on {c.network}" + (f" {c.options}" if c.options else "") for c in cfg.constraints]
    if not cfg.penalties and not cfg.constraints and cfg.objective.name != "wgan-gp":
        parts.append("no penalty or constraint")
    return "; ".join(parts)


def cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from .data import load_dataset
    from .diagnostics.lipschitz import inspect_lipschitz, plot_gradient_norms
    from .experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(Path(args.target), device=args.device)
    dataset = load_dataset(exp.cfg.data.name, exp.cfg.data.resolution)
    real = dataset.sample(args.n, torch.Generator().manual_seed(args.seed)).to(exp.device)
    fake = exp.generate(exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed + 1)),
                        use_ema=False).to(exp.device)  # the generator D was trained against
    critic = exp.objective.critic_module()
    if critic is None:
        raise ConfigError(f"this run's objective {exp.cfg.objective.name!r} has no critic D(x) of its own to inspect")
    report = inspect_lipschitz(critic, real, fake)
    print(f"critic of step {meta['step']} ({meta['path']}): {lipschitz_setup(exp.cfg)}")
    print(f"||grad_x D|| on {args.n} samples per set (generated: the trained G, not its EMA)")
    stats = report.stats()
    print_table(stats)
    print(f"product of {len(report.layers)} layer operator norms: {report.product:.4g} "
          + ("(an upper bound on the Lipschitz constant)" if report.is_bound
             else "(not a bound: " + "; ".join(report.bound_caveats) + ")"))
    run_dir = Path(meta["path"]).parent.parent
    out = Path(args.output) if args.output else run_dir / f"lipschitz-step-{meta['step']:07d}.png"
    plot_gradient_norms(report, out, f"{exp.cfg.name}: critic gradient norms at step {meta['step']}")
    record = {"checkpoint": meta["path"], "step": meta["step"], "setup": lipschitz_setup(exp.cfg), "n": args.n,
              "gradient_norms": stats, "layers": dict(report.layers), "product": report.product,
              "is_bound": report.is_bound, "caveats": report.bound_caveats}
    json_path = out.with_suffix(".json")
    write_atomic(json_path, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out} and {json_path}")
    return 0


def cmd_evaluator(args: argparse.Namespace) -> int:
    from .data.digits import digits_arrays
    from .metrics.evaluator import WEIGHTS, accuracy, save_evaluator, train_evaluator, version_of

    model = train_evaluator()
    acc = accuracy(model, *digits_arrays("test"))
    out = Path(args.output) if args.output else WEIGHTS
    version = save_evaluator(model, out)
    print(f"trained {version}: {acc:.2%} on the 797 held-out digits; wrote {out}")
    if out != WEIGHTS:
        same = out.read_bytes() == WEIGHTS.read_bytes()
        print(f"shipped weights {version_of(WEIGHTS)}: {'identical' if same else 'DIFFERENT'} bit for bit")
        return 0 if same else 1
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.suite == "speed":
        from .bench.speed import print_speed, run_speed

        print_speed(run_speed(args.repeats, args.iterations, args.threads))
        return 0
    import json

    from .bench.quality import load_records, markdown, plot, run_quality, summarise, write_readme_section
    from .bench.tasks import TASKS

    tasks = args.tasks.split(",") if args.tasks else list(TASKS)
    for task in tasks:
        if task not in TASKS:
            from .registry import did_you_mean

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
        command = f"gankit bench quality --tasks {','.join(done)} --seeds {args.seeds}"
        write_readme_section(Path(args.readme), text, command)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .data import dataset_names
    from .metrics import METRICS
    from .nn import DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_CRITICS
    from .objectives import CONSTRAINTS, OBJECTIVES, PENALTIES
    from .presets import DEFAULT, preset_names, preset_summary
    from .train.schedule import SCHEDULES

    presets = [f"{n}  - {preset_summary(n)}{' (default)' if n == DEFAULT else ''}" for n in preset_names()]
    kinds = {"G": GENERATORS, "D": DISCRIMINATORS, "E": ENCODERS, "joint D": JOINT_CRITICS}
    names = sorted(set().union(*(r.names() for r in kinds.values())))
    networks = [f"{n}  ({', '.join(k for k, r in kinds.items() if n in r.names())})" for n in names]
    tables = {"datasets": dataset_names(), "networks": networks, "objectives": OBJECTIVES.names(),
              "penalties": PENALTIES.names(), "constraints": CONSTRAINTS.names(),
              "schedules": SCHEDULES.names(), "metrics": METRICS.names(), "presets": presets}
    for kind in [args.kind] if args.kind else tables:
        print(f"{kind}:")
        for name in tables[kind]:
            print(f"  {name}")
    return 0


def add_generator_options(p: argparse.ArgumentParser) -> None:
    """Options of every command that draws from a trained generator."""
    p.add_argument("--seed", type=int, default=0, help="seed of the latent codes (default 0)")
    p.add_argument("--no-ema", action="store_true", help="use the trained generator instead of its EMA copy")
    p.add_argument("--device", default=None, help="torch device (default: the run's)")


def add_run_and_data(p: argparse.ArgumentParser, data_help: str) -> None:
    """The run to load and the dataset to read, as encode, reconstruct and interpolate take them."""
    p.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a checkpoint or run directory")
    p.add_argument("--data", help=data_help)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gankit", description="Train, evaluate and compare adversarial generative models.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a model from a preset and/or config files",
                       description="Train a model. With no arguments: the default preset (DCGAN + WGAN-GP on the "
                                   "bundled digits). Layers, last wins: preset, --config files, --set overrides.")
    t.add_argument("preset", nargs="?", help="preset name (gankit list presets); default digits-wgan-gp")
    t.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="YAML file merged over the preset (repeatable)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one field by dotted path, e.g. --set train.steps=2000 (repeatable)")
    t.add_argument("--resume", metavar="RUN_DIR",
                   help="continue a run from its newest checkpoint, exactly; --set may change train.steps and log.*")
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="write samples of a trained generator (no dataset needed)",
                       description="Sample a trained generator from a checkpoint or run directory.")
    s.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a .safetensors checkpoint or a run directory")
    s.add_argument("-n", type=positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="output .png (grid, or scatter plot for 2-D data) or .npz (array x); "
                        "default RUN/samples/sample-seedS.png")
    s.add_argument("--nrow", type=int, default=None, help="images per row of the grid (default: square)")
    add_generator_options(s)
    s.set_defaults(func=cmd_sample)

    e = sub.add_parser("eval", help="compute metrics of a trained generator, or the digits baseline ladder",
                       description="Evaluate a run's generator (the EMA copy by default) with its dataset's metrics; "
                                   "prints a table and writes JSON. 'gankit eval baselines' prints the digits ladder.")
    e.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory, a checkpoint, or 'baselines'")
    e.add_argument("--metrics", help="comma-separated metric names (gankit list metrics, and encoder for encoder GANs); "
                                     "default: the dataset's, plus the encoder metrics where the run has an encoder")
    e.add_argument("-n", type=int, default=0, help="samples to draw (default: the run's log.eval_samples; "
                                                   "digits metrics use the first 797)")
    e.add_argument("-o", "--output", metavar="FILE", help="JSON output (default RUN/eval-step-N.json)")
    e.add_argument("--features", choices=["dataset", "inception"], default="dataset",
                   help="dataset: the metrics the dataset lists (digits evaluator, toy modes); inception: FD / KID / "
                        "precision / recall / density / coverage in Inception-v3 features (needs gankit[inception])")
    e.add_argument("--inception-weights", metavar="PATH", help="local Inception-v3 weights for --features inception")
    add_generator_options(e)
    e.set_defaults(func=cmd_eval)

    enc = sub.add_parser("encode", help="latent codes of data under a run's encoder (encoder GANs)",
                         description="Encode data with the run's encoder (bigan, ali, bigan-qp, o-gan) and write the "
                                     "codes (array z, and y when the data has labels) to an .npz file.")
    add_run_and_data(enc, "dataset to encode (gankit list datasets; folder:/npz: paths); default the run's")
    enc.add_argument("-n", type=int, default=0, help="items to encode (default: all of a finite dataset, else 1000)")
    enc.add_argument("-o", "--output", required=True, metavar="FILE.npz", help="output .npz")
    enc.add_argument("--seed", type=int, default=0, help="seed of the draws from an infinite dataset (default 0)")
    enc.add_argument("--no-ema", action="store_true", help="use the trained encoder instead of its EMA copy")
    enc.add_argument("--device", default=None, help="torch device (default: the run's)")
    enc.set_defaults(func=cmd_encode)

    rec = sub.add_parser("reconstruct", help="originals above their reconstructions G(E(x)) (encoder GANs)",
                         description="Reconstruct data through the run's encoder and generator: a grid with each row "
                                     "of originals above the row of their reconstructions, or an .npz (x, reconstruction).")
    add_run_and_data(rec, "dataset to reconstruct (default the run's); e.g. digits-test for held-out digits")
    rec.add_argument("-n", type=positive_int, default=32, help="items, the first ones of the dataset (default 32)")
    rec.add_argument("-o", "--output", required=True, metavar="FILE", help="output .png grid or .npz")
    rec.add_argument("--nrow", type=positive_int, default=8, help="items per row (default 8)")
    add_generator_options(rec)
    rec.set_defaults(func=cmd_reconstruct)

    itp = sub.add_parser("interpolate", help="rows of generated images along latent paths",
                         description="Interpolate between pairs of random latent codes (any run), or with --data between "
                                     "the codes of pairs of real items (encoder runs), which frame each row.")
    add_run_and_data(itp, "encoder runs: interpolate between codes of random pairs of this dataset's items")
    itp.add_argument("-o", "--output", required=True, metavar="FILE", help="output .png grid or .npz [rows, steps, ...]")
    itp.add_argument("--rows", type=positive_int, default=8, help="interpolations, one per row (default 8)")
    itp.add_argument("--steps", type=positive_int, default=10, help="images per path, ends included (default 10)")
    itp.add_argument("--mode", choices=["slerp", "linear"], default="slerp",
                     help="spherical (default; keeps the norm Gaussian codes have) or linear interpolation")
    add_generator_options(itp)
    itp.set_defaults(func=cmd_interpolate)

    ins = sub.add_parser("inspect", help="diagnostics of a trained run: the critic's Lipschitz constant",
                         description="lipschitz: gradient norms of the critic on real, generated and interpolated "
                                     "samples (mean, percentiles, max, a histogram PNG) and the product of its layers' "
                                     "operator norms, an upper bound when the critic is a chain of 1-Lipschitz parts; "
                                     "says which penalty or constraint the run used.")
    ins.add_argument("what", choices=["lipschitz"], help="what to inspect")
    ins.add_argument("target", metavar="RUN_OR_CHECKPOINT", help="a run directory or a checkpoint")
    ins.add_argument("-n", type=positive_int, default=1000, help="samples per set (default 1000)")
    ins.add_argument("-o", "--output", metavar="FILE.png",
                     help="histogram PNG (a JSON goes beside it); default RUN/lipschitz-step-N.png")
    ins.add_argument("--seed", type=int, default=0, help="seed of the real and latent draws (default 0)")
    ins.add_argument("--device", help="torch device (default: the run's)")
    ins.set_defaults(func=cmd_inspect)

    ev = sub.add_parser("evaluator", help="retrain the digits evaluator with its fixed recipe",
                        description="Retrain the digits evaluator (fixed recipe and seed) and write its weights; "
                                    "with -o, also compare them bit for bit with the shipped ones.")
    ev.add_argument("-o", "--output", metavar="FILE", help="where to write (default: the shipped weights file)")
    ev.set_defaults(func=cmd_evaluator)

    b = sub.add_parser("bench", help="benchmarks: quality (tasks x objectives x seeds) or speed (ratios)",
                       description="quality: train every benchmark task's entries for N seeds (two at a time) and "
                                   "write results/*.json, results/quality.md and a plot per task. speed: gankit's "
                                   "iteration against a plain PyTorch loop, interleaved in one process.")
    b.add_argument("suite", choices=["quality", "speed"], help="which benchmark")
    b.add_argument("--tasks", help="quality: comma-separated tasks (t1-ring, t1-grid, t1-collapse, t2); default all")
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
    b.add_argument("--repeats", type=positive_int, default=15, help="speed: interleaved repeats (default 15)")
    b.add_argument("--iterations", type=positive_int, default=20, help="speed: iterations per timing (default 20)")
    b.add_argument("--threads", type=positive_int, default=1, help="speed: torch threads (default 1)")
    b.set_defaults(func=cmd_bench)

    ls = sub.add_parser("list", help="list datasets, networks, objectives, penalties, presets, ...",
                        description="List the names the config and the CLI accept.")
    ls.add_argument("kind", nargs="?", choices=["datasets", "networks", "objectives", "penalties", "constraints",
                                                "schedules", "metrics", "presets"],
                    help="one table only (networks: as G generator, D critic, E encoder, joint D BiGAN critic)")
    ls.set_defaults(func=cmd_list)
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
