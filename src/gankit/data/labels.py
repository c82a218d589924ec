"""Class labels read from files, checked before anything is built from them: integers, one per item,
non-negative, and a class count (the largest label + 1) no larger than data.max_classes, so a stray label
of 10^9 cannot make a conditional model allocate a class layer of that size."""
from __future__ import annotations

import numpy as np
import torch

from ..errors import DataError

MAX_CLASSES = 10_000  # data.max_classes' default: above ImageNet-1k and stacked digits' 1,000 modes


def checked_labels(y, n: int, where: str, num_classes: int = 0) -> torch.Tensor:
    """Labels y (an array or a list) as int64 [n]: integers, n of them, each in 0..num_classes-1 (any
    non-negative value when num_classes is 0); the first offending one is named with its index."""
    a = np.asarray(y) if not isinstance(y, np.ndarray) else y
    if a.dtype == object or a.dtype.kind not in "iu":
        bad = next((i for i, v in enumerate(np.ravel(a)) if not isinstance(v, (int, np.integer)) or isinstance(v, bool)), 0) \
            if a.ndim and a.size else 0
        shown = np.ravel(a)[bad] if a.ndim and a.size else a
        shown = shown.item() if isinstance(shown, (np.generic, np.ndarray)) and np.ndim(shown) == 0 else shown
        raise DataError(f"{where}: labels must be integers (class indices); label {shown!r} at index {bad} is "
                        f"{type(shown).__name__}")
    if a.shape != (n,):
        raise DataError(f"{where}: expected one label per item, {n} in all; got {a.size} (shape {list(a.shape)})")
    out = torch.from_numpy(a.astype(np.int64))
    bad = (out < 0) | (out >= num_classes) if num_classes else out < 0
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        expected = f"0..{num_classes - 1}" if num_classes else "0 or more"
        raise DataError(f"{where}: label {int(out[i])} at index {i} is outside {expected}")
    return out


def class_count(labels: torch.Tensor | None, where: str, max_classes: int | None = None) -> int:
    """The number of classes the labels make (largest + 1; 0 for none), refused past max_classes (when given)
    naming the first label that goes past it."""
    if labels is None or labels.numel() == 0:
        return 0
    count = int(labels.max()) + 1
    if max_classes is not None and count > max_classes:
        i = int((labels >= max_classes).nonzero()[0, 0])
        raise DataError(f"{where}: label {int(labels[i])} at index {i} makes {count} classes, over "
                        f"data.max_classes={max_classes}; raise data.max_classes if the labels are right")
    return count


def check_class_count(dataset, max_classes: int) -> None:
    """A loaded dataset's class count against data.max_classes, before any class layer is built from it."""
    spec = dataset.spec
    if spec.num_classes <= max_classes:
        return
    if getattr(dataset, "labels", None) is not None:
        class_count(dataset.labels, spec.name, max_classes)  # names the offending label
    raise DataError(f"{spec.name}: {spec.num_classes} classes, over data.max_classes={max_classes}; raise "
                    "data.max_classes if that is right")
