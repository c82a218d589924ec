"""The Python API: `gankit.train(...)` and `gankit.load(...)`. The `gankit train` command builds its config from
its arguments and then calls the same `open_run` and `Trainer.fit`, so a script and the command line make the
same run directory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .config import Config, build_config
from .errors import CheckpointError, ConfigError


def resolve_config(config_or_preset: str | Path | dict | Config | None = None, overrides: dict | None = None) -> Config:
    """A Config from a preset name, a YAML file, a dict or a Config (each over the defaults, as a preset is;
    the command line's --config layers a file over a preset instead), with overrides on top. Override keys are
    top-level fields (`seed=1`, `train={"steps": 500}`, merged like a config layer) or dotted paths
    (`**{"train.steps": 500}`, as `--set` takes them)."""
    from .config import read_yaml
    from .presets import DEFAULT, load_preset
    from .recipes import is_recipe

    source = DEFAULT if config_or_preset is None else config_or_preset
    if isinstance(source, Config):
        base = source.to_dict()
    elif isinstance(source, dict):
        base = source
    elif isinstance(source, Path) or Path(source).suffix in (".yaml", ".yml"):
        base = read_yaml(Path(source))
    elif is_recipe(source):  # a model recipe: the data's shape picks the networks, so it resolves last
        return build_run_config(source, sets=[f"{k}={v}" for k, v in flatten_overrides(overrides or {}).items()])
    else:
        base = load_preset(source)
    layers = []
    for key, value in (overrides or {}).items():
        layer = value
        for part in reversed(key.split(".")):  # "train.steps" -> {"train": {"steps": value}}
            layer = {part: layer}
        layers.append(layer)
    cfg = build_config(base, layers=layers)
    if isinstance(source, Config):  # a Config built from a preset keeps what it inherited from it
        cfg.inherited_networks = cfg.inherited_networks | source.inherited_networks
        cfg.inherited_sections = cfg.inherited_sections | source.inherited_sections
    return cfg


def build_run_config(preset: str | None = None, files: list[Path] = (), sets: list[str] = ()) -> Config:
    """The config of a new run as `gankit train PRESET --config FILE --set KEY=VALUE` builds it: a preset (the
    default one when None) or a model recipe, then config files, then dotted overrides."""
    from .presets import DEFAULT, load_preset
    from .recipes import is_recipe, recipe_config

    if is_recipe(preset):  # a model recipe for any data: networks chosen by the data's shape
        return recipe_config(preset, list(files), list(sets))
    return build_config(load_preset(preset or DEFAULT), list(files), list(sets))


RESUME_CHANGEABLE = ("train.steps", "train.device", "train.threads", "train.divergence_factor", "train.on_divergence",
                     "train.rollback_lr_factor", "train.max_rollbacks", "log.",
                     "train.compile", "train.channels_last")  # what a resume may change (the last two: how, not what)


def resume_may_change(key: str) -> bool:
    """Whether a resume may change the dotted config key (RESUME_CHANGEABLE: a name, or a prefix ending in '.')."""
    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in RESUME_CHANGEABLE)


def config_for_resume(point, overrides: list[str]) -> Config:
    """The config of a run's newest loadable checkpoint (a training.checkpoint.ResumePoint), with --set style
    overrides of what a resume may change."""
    for text in overrides:
        key = text.split("=", 1)[0]
        if key != "data.name" and not resume_may_change(key):
            raise ConfigError(f"--resume continues the run's own config; {key} cannot change "
                              f"(only {', '.join(k + '*' if k.endswith('.') else k for k in RESUME_CHANGEABLE)})")
    try:
        cfg = build_config(point.meta["config"], overrides=overrides)
    except ConfigError as err:
        raise CheckpointError(f"{point.path}: its config is not valid for this gankit ({err})") from None
    from .data import absolute_data_name

    saved = point.meta["config"].get("data", {}).get("name")
    if absolute_data_name(cfg.data.name) != saved:  # naming the same data is consent to read it, not a change
        raise ConfigError(f"--resume continues the run's own config; data.name cannot change (the run's is {saved!r})")
    return cfg


def resume_point(run_dir: str | Path):
    """The newest checkpoint of a run that loads, read once for the whole resume. A kill's temporary files go
    first (by the first process of a launch, under the run's lock), even when no checkpoint then loads."""
    from .training.checkpoint import ResumePoint, remove_leftovers
    from .training.lock import RunLock

    run_dir = Path(run_dir)
    if run_dir.is_dir() and os.environ.get("RANK", "0") == "0":  # torchrun's first process (before its setup)
        with RunLock(run_dir):
            remove_leftovers(run_dir)
    return ResumePoint.read(run_dir)


def open_run(cfg: Config, run_dir: str | Path | None = None, resume=None, data_named: bool = False):
    """A Trainer ready to fit: dataset, experiment, run directory (a new runs/<date>-<name>/ unless given;
    shared by every process of a torchrun launch) and, with `resume` (a resume_point), the state of that
    checkpoint."""
    from .data import absolute_data_name, check_batch_size, dataset_for
    from .rundir import remove_unused_run_dir, require_data_consent
    from .training import distributed
    from .training.checkpoint import list_checkpoints
    from .training.experiment import build_experiment, check_shapes_before_building
    from .training.trainer import Trainer

    distributed.setup(cfg)
    resume = resume_point(run_dir) if resume is True else (resume or None)  # True: read its newest checkpoint here
    if resume is not None:
        require_data_consent(cfg.data.name, Path(run_dir), data_named, option="--set data.name=")
    elif run_dir is not None and list_checkpoints(Path(run_dir)):
        raise CheckpointError(f"{run_dir} already holds a run's checkpoints; resume it (resume=, --resume) or train "
                              "into a new folder")
    else:
        cfg.data.name = absolute_data_name(cfg.data.name)  # eval / inspect / resume from any directory
    dataset = dataset_for(cfg.data)
    if resume is None:  # a resumed run keeps the size its config records
        from .sizing import fit_data_to_networks

        dataset = fit_data_to_networks(cfg, dataset)
    else:  # the file's shapes against its config before anything big is allocated
        check_shapes_before_building(cfg, dataset.spec, resume.tensors, resume.path)
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
    if resume is not None:
        trainer.resume(resume)
    return trainer


def trainer_for(cfg: Config, run_dir: str | Path | None = None, dataset=None):
    """A Trainer of cfg on freshly built networks, for code that drives training itself (the benchmarks): its
    dataset (read from cfg unless given, and fitted to the networks' sizes as `gankit train` fits it) and run
    directory (a new runs/<date>-<name>/ unless given)."""
    from .data import check_batch_size, dataset_for
    from .rundir import make_run_dir
    from .sizing import fit_data_to_networks
    from .training.experiment import build_experiment
    from .training.trainer import Trainer

    dataset = fit_data_to_networks(cfg, dataset if dataset is not None else dataset_for(cfg.data))
    check_batch_size(dataset, cfg.data.batch_size)
    exp = build_experiment(cfg, dataset.spec)
    return Trainer(exp, dataset, Path(run_dir) if run_dir is not None else make_run_dir(cfg))


def saved_checkpoints(run_dir: str | Path) -> list[Path]:
    """The run directory's complete checkpoints, oldest first (none for a folder that does not exist)."""
    from .training.checkpoint import list_checkpoints

    return list_checkpoints(Path(run_dir))


def remove_run_dir(run_dir: str | Path) -> None:
    """Deletes a run directory and everything in it; a CheckpointError while another gankit process trains there."""
    import shutil

    from .training.lock import RunLock

    with RunLock(Path(run_dir)):  # removed while held: no other process can start training there in between
        shutil.rmtree(run_dir)


def read_checkpoint(run_or_file: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, metadata) of a checkpoint file, or of a run directory's newest checkpoint."""
    from .training.checkpoint import find_checkpoint, load_checkpoint

    return load_checkpoint(find_checkpoint(Path(run_or_file)))


def train(config_or_preset: str | Path | dict | Config | None = None, *, run_dir: str | Path | None = None,
          resume: str | Path | None = None, **overrides: Any) -> "Run":
    """Trains a model and returns its Run: `gankit.train("ring8-wgan-gp", seed=1, train={"steps": 500})`.
    The run directory holds what `gankit train` writes (config.yaml, metrics.jsonl, samples/,
    checkpoints/). `resume=RUN_DIR` continues that run exactly (overrides may change train.steps and log.*)."""
    if resume is not None:
        if config_or_preset is not None:
            raise ConfigError("resume= takes the run's own config; drop the config or preset")
        sets = [f"{k}={v}" for k, v in flatten_overrides(overrides).items()]
        point = resume_point(resume)
        cfg, run_dir = config_for_resume(point, sets), Path(resume)
    else:
        cfg, point = resolve_config(config_or_preset, overrides), None
    trainer = open_run(cfg, run_dir, resume=point,
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


def load(run: "str | os.PathLike | Run", device: str | None = None) -> "Run":
    """A trained run from its directory (newest checkpoint), a checkpoint file, or a Run (its directory's
    newest checkpoint), as a str or any path-like; needs no dataset."""
    from .training.experiment import experiment_from_checkpoint

    exp, meta = experiment_from_checkpoint(Path(os.fspath(run)), device=device)
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

    def __fspath__(self) -> str:
        """A Run is a path-like of its run directory: gankit.load(run), Path(run), open(Path(run) / ...)."""
        return str(self.run_dir)

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
            from .evaluation import dataset_of_run

            self._dataset = dataset_of_run(self.experiment, None, self.run_dir, option="Run.use_data")
        return self._dataset

    def use_data(self, name: str) -> "Run":
        """Names the dataset to compare with (consent for a file path of a run from elsewhere)."""
        from .evaluation import dataset_of_run

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
        (default log.eval_samples), as training and `gankit eval` compute them: by default on the latent draw
        training evaluated with (seed + 2), class-conditional samples with their requested classes."""
        from .evaluation import EVAL_SEED_OFFSET, eval_noise, evaluate_run, plan_evaluation

        n = n or self.config.log.eval_samples
        seed = self.config.seed + EVAL_SEED_OFFSET if seed is None else seed
        plan = plan_evaluation(self.experiment, self.dataset.spec, n=n)
        return evaluate_run(self.experiment, self.dataset, plan, eval_noise(self.experiment, n, seed), use_ema)

    def metrics(self) -> list[dict]:
        """The records of metrics.jsonl (losses every log_every steps, metrics every eval_every)."""
        return self.metrics_of(self.run_dir)

    @staticmethod
    def metrics_of(run_dir: str | Path) -> list[dict]:
        """The records of a run directory's metrics.jsonl, without loading its checkpoint."""
        from .training.logging import MetricsLog

        return MetricsLog(Path(run_dir) / "metrics.jsonl").read()
