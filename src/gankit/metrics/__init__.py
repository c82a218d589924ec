"""Metrics by name; a dataset lists the ones that apply to it in its DataSpec."""
from __future__ import annotations

import inspect
from typing import Callable

import torch

from ..data import Dataset, DataSpec
from ..errors import ConfigError, DataError
from ..registry import Registry
from .conditional import class_conditional_digits_metrics, interleave_by_class
from .digits import digits_metrics, stacked_digits_metrics
from .swd import swd as swd_of_images
from .toy import toy_metrics

METRICS: Registry = Registry("metrics")
NEEDS: dict[str, tuple[str, Callable[[DataSpec], bool]]] = {}  # metric -> (what data it needs, the test of a DataSpec)
HEADLINE = {"toy": ("modes", "hq"), "digits": ("fd", "recall"), "stacked-digits": ("modes", "kl"),
            "swd": ("avg",)}  # progress bar
DIGITS_SAMPLES = 797  # docs/benchmarks.md section 3: 797 generated vs the 797 held-out digits


def metric(name: str, needs: str, applies: Callable[[DataSpec], bool]):
    """Registers a metric with what data it applies to: `applies(spec)` tests a dataset's DataSpec, `needs`
    says it in words for the refusal. A metric registered with METRICS.register alone applies to any data."""
    def register(fn):
        NEEDS[name] = (needs, applies)
        return METRICS.register(name)(fn)

    return register


def check_metrics_apply(names: list[str], spec: DataSpec) -> None:
    """Before any sample is drawn: every metric named is registered and applies to the data `spec` describes;
    otherwise a ConfigError naming the metric, what it needs, the data, and the metrics that do apply."""
    for name in names:
        METRICS.get(name)  # an unknown name, with its suggestion
        needs, applies = NEEDS.get(name, ("", lambda _: True))
        if not applies(spec):
            fitting = [n for n in METRICS.names() if NEEDS.get(n, ("", lambda _: True))[1](spec)]
            kind = f"images of shape {list(spec.shape)}" if spec.is_image else f"vectors of shape {list(spec.shape)}"
            raise ConfigError(f"metric {name} needs {needs}; dataset {spec.name} gives {kind} (metrics that apply "
                              f"to it: {', '.join(fitting) or 'none'})")


@metric("toy", needs="a dataset with known modes (one that lists the toy metric)",
        applies=lambda spec: "toy" in spec.metrics)
def toy(samples: torch.Tensor, dataset: Dataset) -> dict[str, float]:
    """Modes covered, HQ %, reverse KL against the dataset's known modes."""
    if dataset.modes is None:
        raise DataError(f"toy metrics need a dataset with known modes (ring8, grid25); {dataset.spec.name} has none")
    if samples.shape[1:] != dataset.modes.means.shape[1:]:
        raise DataError(f"toy metrics need samples of shape {list(dataset.modes.means.shape[1:])}; "
                        f"these are {list(samples.shape[1:])}")
    return toy_metrics(samples, dataset.modes.means, dataset.modes.std)


def metrics_taking(option: str) -> list[str]:
    """The metrics whose function takes `option` (is_splits: they report an Inception Score; classes: they
    measure class-conditional samples against their requested classes)."""
    return [name for name in METRICS.names() if option in inspect.signature(METRICS.get(name)).parameters]


@metric("digits", needs="8x8 grey images (the digits evaluator's input)", applies=lambda spec: spec.shape == (1, 8, 8))
def digits(samples: torch.Tensor, dataset: Dataset, is_splits: int | None = None,
           classes: torch.Tensor | None = None) -> dict:
    """FD, precision, recall, density, coverage, classes and IS (is_splits splits, default 10) of 797 samples
    vs the 797 held-out digits; with the requested classes, class_acc and the within-class FD too."""
    out = digits_metrics(samples[:DIGITS_SAMPLES], is_splits=is_splits)
    if classes is not None:
        out.update(class_conditional_digits_metrics(samples[:DIGITS_SAMPLES], classes[:DIGITS_SAMPLES]))
    return out


@metric("stacked-digits", needs="8x8 images of 3 channels, one digit each",
        applies=lambda spec: spec.shape == (3, 8, 8))
def stacked_digits(samples: torch.Tensor, dataset: Dataset) -> dict:
    """Modes and KL to uniform over the 1,000 digit triples."""
    return stacked_digits_metrics(samples)


@metric("swd", needs="images", applies=lambda spec: spec.is_image)
def swd(samples: torch.Tensor, dataset: Dataset) -> dict:
    """Sliced Wasserstein distance x 1e3 of Laplacian-pyramid patches (ProGAN), vs as many real images."""
    if not dataset.spec.is_image:
        raise ConfigError(f"metric swd needs image data; {dataset.spec.name} gives vectors")
    real = dataset.sample(len(samples), torch.Generator().manual_seed(0))
    return swd_of_images(real, samples)


@metric("emoji-classes", needs="class-conditional samples of the 32x32 RGB emoji (10 categories)",
        applies=lambda spec: spec.name.startswith("emoji") and spec.shape == (3, 32, 32) and spec.num_classes == 10)
def emoji_classes(samples: torch.Tensor, dataset: Dataset, classes: torch.Tensor | None = None) -> dict:
    """The emoji category classifier's share of samples in their requested category (and the worst category's)."""
    from .emoji_classifier import class_accuracy

    if classes is None:
        raise ConfigError("metric emoji-classes measures class-conditional samples; this run's sampling asks for no "
                          "classes")
    return class_accuracy(samples, classes)


def evaluate(samples: torch.Tensor, dataset: Dataset, classes: torch.Tensor | None = None,
             names: list[str] | None = None, is_splits: int | None = None) -> dict[str, float]:
    """Every metric the dataset lists (or those named), prefixed by the metric's name. Class-conditional
    samples come with their requested `classes` [N]: they are interleaved by class first (so the 797 the digits
    metrics read are balanced) and go to the metrics that take them. `is_splits` goes to the metrics that take
    it (None: their default, 10)."""
    out = {}
    check_metrics_apply(list(dataset.spec.metrics if names is None else names), dataset.spec)
    if classes is not None:
        order = interleave_by_class(classes)
        samples, classes = samples[order], classes[order]
    given = {k: v for k, v in (("is_splits", is_splits), ("classes", classes)) if v is not None}
    for name in dataset.spec.metrics if names is None else names:
        fn = METRICS.get(name)
        options = {k: v for k, v in given.items() if k in inspect.signature(fn).parameters}
        out.update({f"{name}/{key}": value for key, value in fn(samples, dataset, **options).items()})
    return out


__all__ = ["METRICS", "NEEDS", "HEADLINE", "metric", "metrics_taking", "check_metrics_apply", "evaluate", "toy_metrics", "digits_metrics", "stacked_digits_metrics"]
