"""Metrics of class-conditional samples: does each sample show the class it was asked for, and how close is
each class's sample set to that class's held-out digits."""
from __future__ import annotations

import torch

from .digits import features_and_logits, held_out_features
from .fid import fd_of_features


def interleave_by_class(classes: torch.Tensor) -> torch.Tensor:
    """An order of the samples cycling through the classes (first of each class, second of each, ...), so that
    every prefix (the digits metrics read the first 797) is as balanced as the whole."""
    rank = torch.empty_like(classes)
    for c in classes.unique():
        where = (classes == c).nonzero().squeeze(1)
        rank[where] = torch.arange(len(where))
    return torch.argsort(rank * (int(classes.max()) + 1) + classes, stable=True)


def class_conditional_digits_metrics(samples: torch.Tensor, classes: torch.Tensor) -> dict[str, float]:
    """class_acc: share the evaluator classifies as their requested class; class_fd: FD between the samples of
    each class and the held-out digits of that class in evaluator features (about 80 a class at 797, so
    larger than the overall FD by the small-sample bias), averaged over classes; class_fd_max: the worst."""
    from ..data.digits import digits_arrays

    feats, logits = features_and_logits(samples)
    real, real_labels = held_out_features(), digits_arrays("test")[1]
    fds = [fd_of_features(real[real_labels == c], feats[classes == c]) for c in classes.unique().tolist()
           if int((classes == c).sum()) > 1]
    return {"class_acc": float((logits.argmax(1) == classes).float().mean()),
            "class_fd": sum(fds) / len(fds), "class_fd_max": max(fds)}
