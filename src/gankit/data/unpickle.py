"""A restricted unpickler for the CIFAR python batches: it admits only what those files hold (dicts, lists,
bytes, numbers and numpy uint8 arrays), so a crafted pickle cannot run code."""
from __future__ import annotations

import io
import pickle

from ..errors import DataError

# the globals a numpy array pickled with protocol 2 refers to (numpy 1.x and 2.x module names)
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        return super().find_class(module, name)


def safe_load(data: bytes, where: str):
    """The object in a CIFAR batch pickle; anything referring to other globals raises a DataError."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except pickle.UnpicklingError as err:
        raise DataError(f"{where}: refused to unpickle: {err} (a CIFAR batch holds only arrays, lists and bytes)") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DataError(f"{where}: not a CIFAR python batch ({err.__class__.__name__}: {err})") from None
