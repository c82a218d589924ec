"""`gankit refine`: Langevin / MALA refinement of a trained run's samples with its critic as the energy."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..errors import ConfigError
from ..evaluation import check_is_splits
from ..files import write_atomic
from .common import (add_chain_option, add_generator_options, add_is_splits_option, apply_chain_option,
                     check_output, check_sample_count, dataset_of_run, positive_float, positive_int, print_table,
                     run_dir_of, save_npz)


def write_pictures(exp, before, after, info, out_dir: Path, seed: int) -> list[Path]:
    """Samples before / after, and the chains (2-D: over the landscape; images: a grid of states)."""
    from ..diagnostics.energy import chain_grid, plot_chains
    from ..viz import plot_points, save_image_grid

    paths = [out_dir / f"before-seed{seed}.png", out_dir / f"after-seed{seed}.png", out_dir / f"chains-seed{seed}.png"]
    if exp.spec.is_image:
        save_image_grid(before[:64], paths[0])
        save_image_grid(after[:64], paths[1])
        chain_grid(info["states"], paths[2])
    elif exp.spec.dim == 2:
        critic = lambda x: exp.objective.critic_value(x.to(exp.device)).cpu()  # noqa: E731
        plot_points(before, paths[0], title="before refinement")
        plot_points(after, paths[1], title="after refinement")
        plot_chains(info["states"], paths[2], critic, title=f"{info['sampler']}: {info['steps']} steps of "
                    f"{info['step_size']:g}, beta {info['beta']:g} ({info['space']} space)")
    else:
        return []
    return paths


def cmd_refine(args: argparse.Namespace) -> int:
    import json

    from ..training.experiment import experiment_from_checkpoint
    from ..refine import RefineSettings, check_from_noise, refine, refinement_space
    from ..samplers import SAMPLERS

    SAMPLERS.get(args.sampler)  # an unknown sampler before the checkpoint is read
    exp, meta = experiment_from_checkpoint(Path(args.checkpoint), device=args.device)
    space = refinement_space(exp)  # a run with no energy to refine with is refused before any work
    if args.from_noise:
        check_from_noise(space)
    check_sample_count(args.n, exp.spec.shape)
    out_dir = Path(args.output_dir) if args.output_dir else run_dir_of(meta) / "refine"
    check_output(out_dir / f"refine-seed{args.seed}.json", (".json",), "--output-dir", make_folders=True)
    dataset = dataset_of_run(exp, args.data, run_dir_of(meta)) if args.eval else None  # before the work
    if dataset is not None and not dataset.spec.metrics:
        raise ConfigError(f"--eval: dataset {dataset.spec.name} lists no metrics")
    if args.is_splits is not None and dataset is None:
        raise ConfigError("--is-splits sets the Inception Score of --eval; add --eval")
    if dataset is not None:
        check_is_splits(args.is_splits, args.n, list(dataset.spec.metrics), inception=False)
    settings = RefineSettings(args.sampler, args.steps, args.step_size, args.beta, args.noise_scale)
    apply_chain_option(exp, args.chains_from)
    use_ema = exp.has_ema and not args.no_ema
    z = exp.objective.sample_z(args.n, torch.Generator().manual_seed(args.seed))
    traced = min(args.n, 64)
    before, after, info = refine(exp, z, settings, use_ema, torch.Generator().manual_seed(args.seed + 1),
                                 from_noise=args.from_noise)
    _, _, traced_info = refine(exp, z[:traced], settings, use_ema, torch.Generator().manual_seed(args.seed + 1),
                               trace=True, from_noise=args.from_noise)  # the pictured chains: the first 64
    out_dir.mkdir(parents=True, exist_ok=True)
    save_npz(out_dir / f"refined-seed{args.seed}.npz", before=before.numpy(), after=after.numpy())
    pictures = write_pictures(exp, before, after, traced_info, out_dir, args.seed)
    accept = f", acceptance {info['acceptance']:.3f}" if "acceptance" in info else ""
    print(f"refined {args.n} samples ({info['space']} space, {settings.sampler}, {settings.steps} steps of "
          f"{settings.step_size:g}, beta {settings.beta:g}{accept}); energy {float(info['energy'][0]):.4g} -> "
          f"{float(info['energy'][-1]):.4g}; wrote {out_dir}")
    record = {"checkpoint": meta["path"], "step": meta["step"], "ema": use_ema, "n": args.n, "seed": args.seed,
              "settings": settings.to_dict(), "space": info["space"], "acceptance": info.get("acceptance"),
              "energy_trace": info["energy"].tolist(), "pictures": [str(p) for p in pictures]}
    if args.eval:
        record["metrics"] = evaluate_pair(dataset, before, after, args.is_splits)
    out = out_dir / f"refine-seed{args.seed}.json"
    write_atomic(out, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=2) + "\n"))
    print(f"wrote {out}")
    return 0


def evaluate_pair(dataset, before: torch.Tensor, after: torch.Tensor, is_splits: int | None = None) -> dict:
    """The dataset's metrics of both sample sets, printed side by side."""
    from ..metrics import evaluate

    rows = {name: evaluate(x, dataset, is_splits=is_splits) for name, x in (("before", before), ("after", after))}
    print_table(rows)
    return rows


def add_parser(sub) -> None:
    r = sub.add_parser("refine", help="refine a run's samples by Langevin / MALA with its critic as the energy",
                       description="Latent-space Langevin or MALA on U(z) = |z|^2/2 - beta D(G(z)) for runs with a "
                                   "critic over x; data-space chains on beta U(x) for energy models (the objective "
                                   "declares which; the error names those that can). Writes the samples before / after (.npz), pictures "
                                   "of the chains, and JSON with the settings (and metrics with --eval).")
    r.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a .safetensors checkpoint or a run directory")
    r.add_argument("-n", type=positive_int, default=2500, help="samples to refine (default 2500; digits use 797)")
    r.add_argument("--sampler", default="langevin", help="langevin or mala (default langevin)")
    r.add_argument("--steps", type=positive_int, default=20, help="sampler steps (default 20)")
    r.add_argument("--step-size", type=positive_float, default=0.01, help="alpha (default 0.01)")
    r.add_argument("--beta", type=positive_float, default=1.0, help="inverse temperature on the critic (default 1)")
    r.add_argument("--data", help="the dataset --eval compares with (default: the run's own; a file dataset named "
                                  "in a checkpoint not trained here must be given here)")
    r.add_argument("--noise-scale", type=positive_float, default=None,
                   help="sigma of the noise per step (default sqrt(2 alpha), the textbook coupling)")
    r.add_argument("--eval", action="store_true", help="print the dataset's metrics before and after, and keep them "
                                                       "in the JSON")
    r.add_argument("--from-noise", action="store_true", help="ebm runs: start the chains at uniform noise instead "
                                                             "of the model's samples (pictures the sampler itself)")
    r.add_argument("--output-dir", metavar="DIR", help="where to write (default RUN/refine)")
    add_is_splits_option(r)
    add_generator_options(r)
    add_chain_option(r)
    r.set_defaults(func=cmd_refine)
