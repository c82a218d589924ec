"""User-facing errors: the CLI prints these as one line, without a traceback."""


class GankitError(Exception):
    """Base of every error caused by user input (config, data, checkpoints)."""


class ConfigError(GankitError):
    """A config file, preset or override is invalid."""


class ResolutionError(ConfigError):
    """A network cannot take the data's image side; `fits` is the side it takes nearest above it (or its
    largest, for data larger than any), so data of native size can be fitted to it (gankit.sizing)."""

    def __init__(self, message: str, side: int, fits: int):
        super().__init__(message)
        self.side, self.fits = side, fits


class DataError(GankitError):
    """A dataset cannot be read or has the wrong shape."""


class CheckpointError(GankitError):
    """A checkpoint or run directory is missing, incomplete or incompatible."""


class TrainingDiverged(GankitError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""
