"""Training: the loop (trainer.py), schedules, EMA, optimizers, checkpoints, logging, distributed and mixed
precision. Called, this package trains a model: gankit.train(config_or_preset, **overrides) is gankit.api.train."""
import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """gankit.train(config_or_preset=None, *, run_dir=None, resume=None, **overrides) -> gankit.Run; see
        gankit.api.train."""
        from ..api import train

        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
