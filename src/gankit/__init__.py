"""gankit: train, evaluate and compare adversarial generative models in PyTorch.

    import gankit
    run = gankit.train("ring8-wgan-gp", seed=1, train={"steps": 500})   # a run directory, as `gankit train`
    x = run.sample(1000)                                               # [1000, 2]
    print(run.evaluate())                                              # the dataset's metrics
    run = gankit.load("runs/20261121-101500-ring8-wgan-gp")            # later, from its checkpoint

The building blocks are importable from here too (gankit.OBJECTIVES, gankit.PENALTIES, gankit.Trainer, ...);
they are imported on first use, so `import gankit` stays light. The training machinery itself is the
package gankit.training (gankit.training.trainer, ...).
"""

__version__ = "0.1.0"

# name -> module that defines it; looked up on first access (PEP 562)
_EXPORTS = {
    "train": "api", "load": "api", "Run": "api", "resolve_config": "api",
    "Config": "config", "build_config": "config",
    "Experiment": "training.experiment", "build_experiment": "training.experiment",
    "experiment_from_checkpoint": "training.experiment",
    "Trainer": "training.trainer", "SCHEDULES": "training.schedule", "EMA": "training.ema",
    "OBJECTIVES": "objectives", "PENALTIES": "objectives", "CONSTRAINTS": "objectives",
    "Objective": "objectives", "Phase": "objectives", "Batch": "objectives",
    "DATASETS": "data", "Dataset": "data", "DataSpec": "data", "TensorDataset": "data", "load_dataset": "data",
    "GENERATORS": "nn", "DISCRIMINATORS": "nn", "ENCODERS": "nn", "JOINT_CRITICS": "nn",
    "METRICS": "metrics", "evaluate": "metrics",
    "Registry": "registry", "preset_names": "presets", "load_preset": "presets",
    "SAMPLERS": "samplers", "langevin": "samplers", "mala": "samplers", "ScoreField": "samplers",
    "QUANTIZERS": "nn.quantizers", "GRADIENT_TRANSFORMS": "training.gradients",
    "ConfigError": "errors", "DataError": "errors", "CheckpointError": "errors",
}
# subpackages reachable as attributes (gankit.samplers, gankit.metrics, ...)
_SUBMODULES = ("api", "config", "data", "nn", "objectives", "metrics", "training", "bench", "presets", "samplers",
               "viz", "latent")

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    import importlib

    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

