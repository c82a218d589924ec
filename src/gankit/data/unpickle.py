"""A restricted unpickler for the CIFAR python batches: it admits only what those files hold (dicts, lists,
bytes, numbers and numpy uint8 arrays), so a crafted pickle cannot run code, and no array it builds may be
larger than the pickle itself (a real batch carries its pixels), so a crafted pickle cannot make gankit
allocate what it asks either."""
from __future__ import annotations

import io
import pickle

import numpy as np

from ..errors import DataError

RECONSTRUCT = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
# the globals a numpy array pickled with protocol 2 refers to (numpy 1.x and 2.x module names)
ALLOWED_GLOBALS = RECONSTRUCT | {("numpy", "ndarray"), ("numpy", "dtype")}
SLACK_BYTES = 1 << 16  # arrays may exceed the pickle's size by this much (empty shells, headers)


def bounded_array_type(limit: int) -> type:
    """numpy.ndarray as the pickle sees it: constructing one of more than `limit` bytes is refused."""

    class BoundedArray(np.ndarray):
        def __new__(cls, shape, dtype=float, *args, **kwargs):
            check_size(shape, dtype, limit)
            return np.ndarray.__new__(np.ndarray, shape, dtype, *args, **kwargs)

    return BoundedArray


def check_size(shape, dtype, limit: int) -> None:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and d >= 0 for d in dims):
        raise pickle.UnpicklingError(f"array shape {dims!r} is not a list of sizes")
    size = np.dtype(dtype).itemsize
    for d in dims:
        size *= d
    if size > limit:
        raise pickle.UnpicklingError(f"an array of shape {list(dims)} ({size} bytes) is larger than the file")


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, limit: int, **kwargs):
        super().__init__(file, **kwargs)
        self.limit = limit

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        if (module, name) == ("numpy", "ndarray"):
            return bounded_array_type(self.limit)
        if (module, name) in RECONSTRUCT:
            return self.reconstruct
        return super().find_class(module, name)

    def reconstruct(self, subtype, shape, dtype):
        """numpy's _reconstruct (an empty array that BUILD then fills from the pickle's own bytes), bounded."""
        check_size(shape, np.uint8 if isinstance(dtype, bytes) else dtype, self.limit)
        base = np.ndarray if isinstance(subtype, type) and issubclass(subtype, np.ndarray) else None
        if base is None:
            raise pickle.UnpicklingError(f"_reconstruct of {subtype!r}, expected an array type")
        return np.ndarray.__new__(np.ndarray, shape, np.uint8 if isinstance(dtype, bytes) else dtype)


def safe_load(data: bytes, where: str):
    """The object in a CIFAR batch pickle; anything referring to other globals, or building an array larger
    than the file, raises a DataError."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), len(data) + SLACK_BYTES, encoding="bytes").load()
    except pickle.UnpicklingError as err:
        raise DataError(f"{where}: refused to unpickle: {err} (a CIFAR batch holds only arrays, lists and bytes)") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError, OverflowError) as err:
        raise DataError(f"{where}: not a CIFAR python batch ({err.__class__.__name__}: {err})") from None
