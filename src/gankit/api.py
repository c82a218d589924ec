"""The Python API: `gankit.train(...)` and `gankit.load(...)`. The `gankit train` command builds its config from
its arguments and then calls the same `open_run` and `Trainer.fit`, so a script and the command line make the
same run directory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .config import Config, build_config, deep_merge
from .errors import CheckpointError, ConfigError


def resolve_config(config_or_preset: str | Path | dict | Config | None = None, overrides: dict | None = None) -> Config:
    """A Config from a preset name, a YAML file, a dict or a Config (each over the defaults, as a preset is;
    the command line's --config layers a file over a preset instead), with overrides on top. Override keys are
    top-level fields (`seed=1`, `train={"steps": 500}`, merged like a config layer) or dotted paths
    (`**{"train.steps": 500}`, as `--set` takes them)."""
    from .config import read_yaml
    from .presets import DEFAULT, load_preset
    from .recipes import is_recipe, recipe_config

    source = DEFAULT if config_or_preset is None else config_or_preset
    if isinstance(source, Config):
        base = source.to_dict()
    elif isinstance(source, dict):
        base = source
    elif isinstance(source, Path) or Path(source).suffix in (".yaml", ".yml"):
        base = read_yaml(Path(source))
    elif is_recipe(source):  # a model recipe: the data's shape picks the networks, so it resolves last
        return recipe_config(source, overrides=[f"{k}={v}" for k, v in flatten_overrides(overrides or {}).items()])
    else:
        base = load_preset(source)
    for key, value in (overrides or {}).items():
        layer = value
        for part in reversed(key.split(".")):  # "train.steps" -> {"train": {"steps": value}}
            layer = {part: layer}
        base = deep_merge(base, layer)
    return build_config(base)


RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "train.divergence_factor", "train.on_divergence",
                     "train.rollback_lr_factor", "train.max_rollbacks", "log.")  # what a resume may change


def config_for_resume(run_dir: Path, overrides: list[str]) -> Config:
    """The config of a run's newest checkpoint that loads, with --set style overrides of what a resume may change."""
    from .training.checkpoint import newest_loadable

    for text in overrides:
        key = text.split("=", 1)[0]
        if key != "data.name" and not any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              f"(only {', '.join(k + '*' if k.endswith('.') else k for k in RESUME_CHANGEABLE)})")
    path, _, meta, _ = newest_loadable(run_dir)
    try:
        cfg = build_config(meta["config"], overrides=overrides)
    except ConfigError as err:
        raise CheckpointError(f"{path}: its config is not valid for this gankit ({err})") from None
    from .data import absolute_data_name

    saved = meta["config"].get("data", {}).get("name")
    if absolute_data_name(cfg.data.name) != saved:  # naming the same data is consent to read it, not a change
        raise ConfigError(f"--resume continues the run's own config; data.name cannot change (the run's is {saved!r})")
    return cfg


def check_data_consent(cfg: Config, run_dir: Path, named: bool) -> None:
    """Resuming a run not trained here reads the file path its checkpoint names only when the user names it too
    (--set data.name=SAME): a checkpoint from elsewhere must not make gankit read arbitrary files."""
    from .rundir import is_trusted_run

    if ":" in cfg.data.name and not named and not is_trusted_run(run_dir):
        raise ConfigError(f"this run's data is {cfg.data.name!r}, a path from the metadata of a checkpoint not trained "
                          f"here; gankit reads it only if you name it: --set data.name={cfg.data.name}")


def open_run(cfg: Config, run_dir: str | Path | None = None, resume: bool = False, data_named: bool = False):
    """A Trainer ready to fit: dataset, experiment, run directory (a new runs/<date>-<name>/ unless given;
    shared by every process of a torchrun launch) and, with resume, the state of its newest checkpoint."""
    from .data import absolute_data_name, check_batch_size, dataset_for
    from .experiment import build_experiment, check_shapes_before_building
    from .rundir import remove_unused_run_dir
    from .training import distributed
    from .training.checkpoint import list_checkpoints, newest_loadable, remove_leftovers
    from .training.lock import RunLock
    from .training.trainer import Trainer, require_resumable

    distributed.setup(cfg)
    if resume:
        require_resumable(Path(run_dir))
        if distributed.is_main():  # a kill's temporary files go first, even if this start then fails
            with RunLock(Path(run_dir)):
                remove_leftovers(Path(run_dir))
        check_data_consent(cfg, Path(run_dir), data_named)
    elif run_dir is not None and list_checkpoints(Path(run_dir)):
        raise CheckpointError(f"{run_dir} already holds a run's checkpoints; resume it (resume=, --resume) or train "
                              "into a new folder")
    else:
        cfg.data.name = absolute_data_name(cfg.data.name)  # eval / inspect / resume from any directory
    dataset = dataset_for(cfg.data)
    if resume:  # the file's shapes against its config before anything big is allocated
        path, tensors, _, _ = newest_loadable(Path(run_dir))
        check_shapes_before_building(cfg, dataset.spec, tensors, path)
    check_batch_size(dataset, cfg.data.batch_size)  # before anything is created: a refused run leaves nothing
    exp = build_experiment(cfg, dataset.spec)
    distributed.prepare_networks(exp)
    folder = distributed.shared_run_dir(cfg, run_dir)
    try:
        trainer = Trainer(exp, dataset, folder)
    except BaseException:
        if run_dir is None and distributed.is_main():
            remove_unused_run_dir(folder)
        raise
    if resume:
        trainer.resume()
    return trainer


def train(config_or_preset: str | Path | dict | Config | None = None, *, run_dir: str | Path | None = None,
          resume: str | Path | None = None, **overrides: Any) -> "Run":
    """Trains a model and returns its Run: `gankit.train("ring8-wgan-gp", seed=1, train={"steps": 500})`.
    The run directory holds what `gankit train` writes (config.yaml, metrics.jsonl, samples/,
    checkpoints/). `resume=RUN_DIR` continues that run exactly (overrides may change train.steps and log.*)."""
    if resume is not None:
        if config_or_preset is not None:
            raise ConfigError("resume= takes the run's own config; drop the config or preset")
        sets = [f"{k}={v}" for k, v in flatten_overrides(overrides).items()]
        cfg, run_dir = config_for_resume(Path(resume), sets), Path(resume)
    else:
        cfg = resolve_config(config_or_preset, overrides)
    trainer = open_run(cfg, run_dir, resume=resume is not None,
                       data_named="data.name" in flatten_overrides(overrides) if resume is not None else False)
    summary = trainer.fit()
    return Run(trainer.exp, trainer.run_dir, summary, trainer.dataset)


def flatten_overrides(overrides: dict, prefix: str = "") -> dict[str, Any]:
    """{"train": {"steps": 5}} -> {"train.steps": 5}."""
    out = {}
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten_overrides(value, f"{path}."))
        else:
            out[path] = value
    return out


def load(run: str | Path, device: str | None = None) -> "Run":
    """A trained run from its directory (newest checkpoint) or a checkpoint file; needs no dataset."""
    from .experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(Path(run), device=device)
    checkpoint = Path(meta["path"])
    return Run(exp, checkpoint.parent.parent, {"step": meta["step"], "checkpoint": checkpoint})


class Run:
    """A trained model and its run directory: sample, encode, evaluate. `experiment` holds the networks,
    optimizers and EMA copies; `summary` what training returned (step, checkpoint, samples, metrics)."""

    def __init__(self, experiment, run_dir: Path, summary: dict, dataset=None):
        self.experiment, self.run_dir, self.summary = experiment, Path(run_dir), summary
        self._dataset = dataset

    def __repr__(self) -> str:
        return f"Run({str(self.run_dir)!r}, step={self.step})"

    @property
    def config(self) -> Config:
        return self.experiment.cfg

    @property
    def step(self) -> int:
        return int(self.summary["step"])

    @property
    def dataset(self):
        """The run's dataset, read as `gankit eval` reads it (a file path named by a checkpoint not trained
        here needs `Run.use_data(name)` first)."""
        if self._dataset is None:
            from .cli.common import dataset_of_run

            self._dataset = dataset_of_run(self.experiment, None, self.run_dir, option="Run.use_data")
        return self._dataset

    def use_data(self, name: str) -> "Run":
        """Names the dataset to compare with (consent for a file path of a run from elsewhere)."""
        from .cli.common import dataset_of_run

        self._dataset = dataset_of_run(self.experiment, name, self.run_dir)
        return self

    def sample(self, n: int = 64, seed: int = 0, use_ema: bool = True) -> torch.Tensor:
        """n samples [n, *shape] on the CPU, from the EMA copy unless use_ema is False, seeded."""
        z = self.experiment.objective.sample_z(n, torch.Generator().manual_seed(seed))
        return self.experiment.generate(z, use_ema and self.experiment.has_ema)

    def encode(self, x: torch.Tensor, use_ema: bool = True) -> torch.Tensor:
        """Latent codes of data x (encoder objectives); a ConfigError for objectives without an encoder."""
        return self.experiment.encode(x, use_ema and self.experiment.has_ema)

    def reconstruct(self, x: torch.Tensor, use_ema: bool = True) -> torch.Tensor:
        return self.experiment.reconstruct(x, use_ema and self.experiment.has_ema)

    def evaluate(self, n: int | None = None, seed: int | None = None, use_ema: bool = True) -> dict[str, float]:
        """The dataset's metrics (and the encoder metrics where there is an encoder) on n samples
        (default log.eval_samples), as `gankit eval` computes them: by default on the latent draw training
        evaluated with (seed + 2), class-conditional samples with their requested classes."""
        from .metrics import evaluate
        from .metrics.encoder import encoder_metrics
        from .training.outputs import EVAL_SEED_OFFSET

        use_ema = use_ema and self.experiment.has_ema
        seed = self.config.seed + EVAL_SEED_OFFSET if seed is None else seed
        objective = self.experiment.objective
        with torch.random.fork_rng(devices=[]):
            z = objective.sample_z(n or self.config.log.eval_samples, torch.Generator().manual_seed(seed))
            results = evaluate(self.experiment.generate(z, use_ema), self.dataset, objective.requested_classes(z)) \
                if objective.can_generate else {}
            if self.experiment.objective.has_encoder:
                metrics = encoder_metrics(self.experiment, self.dataset, use_ema)
                results.update({f"encoder/{k}": v for k, v in metrics.items()})
        return results

    def metrics(self) -> list[dict]:
        """The records of metrics.jsonl (losses every log_every steps, metrics every eval_every)."""
        from .training.logging import MetricsLog

        return MetricsLog(self.run_dir / "metrics.jsonl").read()
