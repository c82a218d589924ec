"""A benchmark task's final evaluation beyond its training-time metrics: T3 scores the run's evaluation samples
(log.eval_samples, 2,000) in Inception features (FD, KID, IS, precision / recall, density / coverage) and, where
sampling is class-conditional and the data is the emoji, by the emoji category classifier (docs/benchmarks.md
section 10)."""
from __future__ import annotations

from ..evaluation import EvalPlan, evaluate_run, plan_evaluation
from ..metrics import NEEDS
from .tasks import FINAL_FEATURES

CLASS_METRIC = "emoji-classes"


def final_plans(task: str, exp, spec) -> list[EvalPlan]:
    """The extra evaluations of the task's final step, planned (every refusal raised) before any sample: the
    task's feature network where the run samples, then the category metric where the samples ask for classes.
    An objective that cannot sample (a VQ-VAE without a prior) keeps only its training-time metrics."""
    features = FINAL_FEATURES.get(task)
    if features is None or not exp.objective.capabilities.samples:
        return []
    plans = [plan_evaluation(exp, spec, metrics=[], features=features)]
    probe = exp.objective.sample_z(1)
    if exp.objective.requested_classes(probe) is not None and NEEDS[CLASS_METRIC][1](spec):
        plans.append(plan_evaluation(exp, spec, metrics=[CLASS_METRIC]))
    return plans


def first_draws(exp, z, samples: int | None):
    """The first `samples` of the noise z (all of it for None); class-conditional noise, whose classes come in
    blocks, is interleaved by class first, so that the draws kept ask for every class alike."""
    from ..metrics.conditional import interleave_by_class

    classes = exp.objective.requested_classes(z)
    if classes is not None:
        z = z[interleave_by_class(classes)]
    return z if samples is None else z[:samples]


def final_metrics(task: str, trainer, samples: int | None = None) -> dict[str, float]:
    """The measures of `final_plans` on the trained run's evaluation noise (EMA generator where there is one), its
    first `samples` draws when given (all log.eval_samples otherwise; Inception features against as many real
    images, so a smaller n scores comparably with the T3 ladder at that n)."""
    z = first_draws(trainer.exp, trainer.eval_z, samples)
    results: dict[str, float] = {}
    for plan in final_plans(task, trainer.exp, trainer.dataset.spec):
        results.update(evaluate_run(trainer.exp, trainer.dataset, plan, z))
    return results
