"""Digits metrics in the evaluator's feature space against the 797 held-out digits (benchmarks.md 3-4)."""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..errors import DataError
from .evaluator import load_evaluator
from .fid import fd_of_features
from .prdc import density_coverage, precision_recall

CLASS_SHARE = 0.05  # a class "appears" when it gets at least 5 % of the samples
CONFIDENT = 0.9     # stacked digits: a channel's prediction counts as confident above this probability
NUM_STACKED_MODES = 1000


@torch.no_grad()
def features_and_logits(x: torch.Tensor, model=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Evaluator features [N, 64] and logits [N, 10] of 1x8x8 images in [-1, 1] (the shipped evaluator
    unless another model is given)."""
    model = model if model is not None else load_evaluator()[0]
    if x.shape[1:] != (1, 8, 8):
        raise DataError(f"digits metrics need 1x8x8 images in [-1, 1]; these samples are {list(x.shape[1:])}")
    feats = model.features(x.float())
    return feats, model.head(feats)


@lru_cache(maxsize=1)
def held_out_features() -> torch.Tensor:
    from ..data.digits import digits_arrays

    return features_and_logits(digits_arrays("test")[0])[0]


def class_histogram_metrics(logits: torch.Tensor, num_classes: int = 10) -> dict[str, float]:
    """Classes getting >= 5 % of samples, KL(p || uniform) of the predicted-class histogram, and the
    Inception Score exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016) with this classifier."""
    p = torch.bincount(logits.argmax(1), minlength=num_classes).double() / len(logits)
    nz = p > 0
    kl = float((p[nz] * (p[nz] * num_classes).log()).sum())
    log_p_yx = logits.double().log_softmax(1)
    log_p_y = log_p_yx.exp().mean(0).log()
    score = float((log_p_yx.exp() * (log_p_yx - log_p_y)).sum(1).mean().exp())
    return {"classes": int((p >= CLASS_SHARE).sum()), "class_kl": kl, "is": score}


def digits_metrics(samples: torch.Tensor, reference: torch.Tensor | None = None) -> dict:
    """FD, precision / recall (k=3), density / coverage (k=5), classes, in evaluator features."""
    real = held_out_features() if reference is None else features_and_logits(reference)[0]
    fake, logits = features_and_logits(samples)
    out = feature_set_metrics(real, fake)
    out.update(class_histogram_metrics(logits))
    out["evaluator"] = load_evaluator()[1]
    return out


def feature_set_metrics(real: torch.Tensor, fake: torch.Tensor, kid: bool = False) -> dict[str, float]:
    """FD, precision / recall (k = 3), density / coverage (k = 5), and optionally KID, of two feature sets."""
    out = {"fd": fd_of_features(real, fake)}
    out.update(precision_recall(real, fake, k=3))
    out.update(density_coverage(real, fake, k=5))
    if kid:
        from .kid import kid_of_features

        out.update(kid_of_features(real, fake))
    return out


def stacked_digits_metrics(samples: torch.Tensor) -> dict:
    """Modes (digit triples over the 3 channels), KL(p || uniform over 1,000), confident modes."""
    n, c = samples.shape[:2]
    if c != 3:
        raise DataError(f"stacked-digits metrics need 3x8x8 images; these samples are {list(samples.shape[1:])}")
    _, logits = features_and_logits(samples.reshape(n * 3, 1, *samples.shape[2:]))
    probs = logits.softmax(1).reshape(n, 3, 10)
    conf, digit = probs.max(2)  # [n, 3]
    mode = digit[:, 0] * 100 + digit[:, 1] * 10 + digit[:, 2]
    p = torch.bincount(mode, minlength=NUM_STACKED_MODES).double() / n
    nz = p > 0
    confident = (conf >= CONFIDENT).all(1)
    return {"modes": int(nz.sum()), "kl": float((p[nz] * (p[nz] * NUM_STACKED_MODES).log()).sum()),
            "confident_modes": int(torch.unique(mode[confident]).numel()),
            "evaluator": load_evaluator()[1]}


def uniform_kl_floor(n: int, k: int = NUM_STACKED_MODES) -> float:
    """Expected plug-in KL of n uniform draws over k bins, ~ (k - 1) / (2 n): the finite-sample floor."""
    return (k - 1) / (2 * n) if n else math.inf
