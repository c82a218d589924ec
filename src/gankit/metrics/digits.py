"""Digits metrics in the evaluator's feature space against the 797 held-out digits (docs/benchmarks.md sections 3-4)."""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..errors import DataError
from .digits_classifier import WEIGHT_TOLERANCE, load_evaluator
from .fid import fd_of_features
from .histogram import kl_to_uniform, miller_madow_kl_to_uniform
from .inception_score import inception_score
from .prdc import density_coverage, precision_recall

CLASS_SHARE = 0.05  # a class "appears" when it gets at least 5 % of the samples
CONFIDENT = 0.9     # stacked digits: a channel's prediction counts as confident above this probability
NUM_STACKED_MODES = 1000
K_PR, K_DC = 3, 5   # neighbours for precision / recall and for density / coverage (docs/benchmarks.md section 3)


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


def class_histogram_metrics(logits: torch.Tensor, num_classes: int = 10, is_splits: int | None = None) -> dict:
    """Classes getting >= 5 % of samples, KL(p || uniform) of the predicted-class histogram, and the
    Inception Score with this classifier over `is_splits` splits (recorded as is_splits). None: the convention's
    10, or one per sample below 10 samples; a number given is used as it is (a ConfigError above the samples)."""
    counts = torch.bincount(logits.argmax(1), minlength=num_classes)
    share = counts.double() / len(logits)
    out = {"classes": int((share >= CLASS_SHARE).sum()), "class_kl": kl_to_uniform(counts)}
    return out | inception_score(logits, is_splits)


def digits_metrics(samples: torch.Tensor, reference: torch.Tensor | None = None, is_splits: int | None = None) -> dict:
    """FD, precision / recall (k=3), density / coverage (k=5), classes and IS (over `is_splits` splits, default
    10), in evaluator features; the record names the evaluator, both sample counts, the k's and the IS splits."""
    real = held_out_features() if reference is None else features_and_logits(reference)[0]
    fake, logits = features_and_logits(samples)
    out = feature_set_metrics(real, fake)
    out.update(class_histogram_metrics(logits, is_splits=is_splits))
    out["evaluator"] = load_evaluator()[1]
    return out


def feature_set_metrics(real: torch.Tensor, fake: torch.Tensor, kid: bool = False) -> dict:
    """FD, precision / recall (k = 3), density / coverage (k = 5), and optionally KID, of two feature sets,
    with the sample counts and k's they were computed with."""
    out = {"fd": fd_of_features(real, fake)}
    out.update(precision_recall(real, fake, k=K_PR))
    out.update(density_coverage(real, fake, k=K_DC))
    if kid:
        from .kid import kid_of_features

        out.update(kid_of_features(real, fake))
    return out | {"n_real": len(real), "n_fake": len(fake), "pr_k": K_PR, "dc_k": K_DC}


def stacked_digits_metrics(samples: torch.Tensor) -> dict:
    """Modes (digit triples over the 3 channels), KL(p || uniform over 1,000) plug-in and Miller-Madow
    corrected, and the modes among samples whose three predictions are all confident (p >= 0.9)."""
    n, c = samples.shape[:2]
    if c != 3:
        raise DataError(f"stacked-digits metrics need 3x8x8 images; these samples are {list(samples.shape[1:])}")
    _, logits = features_and_logits(samples.reshape(n * 3, 1, *samples.shape[2:]))
    probs = logits.softmax(1).reshape(n, 3, 10)
    conf, digit = probs.max(2)  # [n, 3]
    mode = digit[:, 0] * 100 + digit[:, 1] * 10 + digit[:, 2]
    counts = torch.bincount(mode, minlength=NUM_STACKED_MODES)
    confident = (conf >= CONFIDENT).all(1)
    return {"modes": int((counts > 0).sum()), "kl": kl_to_uniform(counts),
            "kl_corrected": miller_madow_kl_to_uniform(counts),
            "confident_modes": int(torch.unique(mode[confident]).numel()), "n": n,
            "evaluator": load_evaluator()[1]}


def uniform_kl_floor(n: int, k: int = NUM_STACKED_MODES) -> float:
    """Expected plug-in KL of n uniform draws over k bins, ~ (k - 1) / (2 n): the finite-sample floor."""
    return (k - 1) / (2 * n) if n else math.inf


# --- comparing two trainings of the classifier (another machine's retraining) ---------------------------

LADDER_DIGITS = 4  # ladder metrics are printed with 4 significant digits (gankit eval baselines)


def half_printed_unit(value: float) -> float:
    """Half a unit in the last of LADDER_DIGITS significant digits: values closer than this print the same
    (up to a rounding boundary between them)."""
    exponent = math.floor(math.log10(abs(value))) if value else 0
    return 0.5 * 10.0 ** (exponent - LADDER_DIGITS + 1)


def compare_evaluators(shipped, retrained, ladder: dict) -> dict:
    """What holds across machines: the largest weight difference, predictions on the held-out digits that
    differ, and ladder metrics (ladder: name -> images) whose printed values differ."""
    from ..data.digits import digits_arrays

    ours, theirs = shipped.state_dict(), retrained.state_dict()
    diff = max(float((ours[k] - theirs[k]).abs().max()) for k in ours)
    held_out = digits_arrays("test")[0]
    with torch.no_grad():
        mismatches = int((shipped(held_out).argmax(1) != retrained(held_out).argmax(1)).sum())
    real = {m: features_and_logits(held_out, m)[0] for m in (shipped, retrained)}
    changed = []
    for name, images in ladder.items():
        a, b = (feature_set_metrics(real[m], features_and_logits(images, m)[0]) for m in (shipped, retrained))
        changed += [f"{name} {k}: {a[k]:.{LADDER_DIGITS + 2}g} vs {b[k]:.{LADDER_DIGITS + 2}g}" for k in a
                    if abs(a[k] - b[k]) > half_printed_unit(a[k])]
    return {"max_weight_diff": diff, "prediction_mismatches": mismatches, "ladder_changes": changed,
            "ok": diff <= WEIGHT_TOLERANCE and mismatches == 0 and not changed}
