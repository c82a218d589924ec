"""User-facing errors: the CLI prints these as one line, without a traceback."""


class GankitError(Exception):
    """Base of every error caused by user input (config, data, checkpoints)."""


class ConfigError(GankitError):
    """A config file, preset or override is invalid."""


class DataError(GankitError):
    """A dataset cannot be read or has the wrong shape."""


class CheckpointError(GankitError):
    """A checkpoint or run directory is missing, incomplete or incompatible."""


class TrainingDiverged(GankitError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""
