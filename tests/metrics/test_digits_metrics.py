"""The digits evaluator, its metrics, stacked digits, and the baseline ladder of docs/benchmarks.md section 3."""
import math

import torch

from gankit.data import load_dataset
from gankit.data.digits import digits_arrays
from gankit.metrics import digits_metrics, stacked_digits_metrics
from gankit.metrics.baselines import BASELINES, N
from gankit.metrics.digits import uniform_kl_floor
from gankit.metrics.digits import compare_evaluators
from gankit.metrics.digits_classifier import WEIGHT_TOLERANCE, WEIGHTS, DigitsClassifier, accuracy, load_evaluator, train_evaluator


def test_shipped_evaluator_is_accurate_and_regenerates_on_any_cpu():
    """Bit for bit only on the same CPU kernels; everywhere: weights within WEIGHT_TOLERANCE, the same
    predictions on the held-out digits, ladder metrics equal to their printed precision."""
    shipped, version = load_evaluator()
    assert version.startswith("digits-mlp-v1-")
    assert accuracy(shipped, *digits_arrays("test")) >= 0.96
    retrained = train_evaluator()
    ladder = {name: BASELINES[name](N, 0) for name in ("training images", "one Gaussian on the pixels",
                                                       "only the digit 1")}
    report = compare_evaluators(shipped, retrained, ladder)
    assert report["max_weight_diff"] <= WEIGHT_TOLERANCE, report
    assert report["prediction_mismatches"] == 0 and not report["ladder_changes"], report
    assert report["ok"]
    assert WEIGHTS.stat().st_size < 100_000


def test_evaluator_comparison_catches_changed_weights():
    shipped, _ = load_evaluator()
    other = DigitsClassifier()
    other.load_state_dict({k: v + 1e-3 * torch.randn(v.shape, generator=torch.Generator().manual_seed(0))
                           for k, v in shipped.state_dict().items()})
    report = compare_evaluators(shipped, other, {"training images": BASELINES["training images"](N, 0)})
    assert report["max_weight_diff"] > WEIGHT_TOLERANCE and not report["ok"]


def test_ladder_order_and_train_vs_held_out():
    fd = {name: digits_metrics(sampler(N, 0))["fd"] for name, sampler in BASELINES.items()}
    values = list(fd.values())
    assert values == sorted(values), fd
    assert fd["training images"] <= 1.5


def test_class_metrics_flag_a_single_class():
    x, y = digits_arrays("test")
    m = digits_metrics(x[y == 1])
    assert m["classes"] == 1 and m["class_kl"] > 2.0 and m["recall"] < 0.3


def test_stacked_digits_one_mode_and_real_data():
    ds = load_dataset("stacked-digits")
    assert ds.spec.shape == (3, 8, 8) and ds.spec.num_classes == 1000
    one = ds.sample(1, torch.Generator().manual_seed(0)).expand(500, 3, 8, 8)
    m = stacked_digits_metrics(one)
    assert m["modes"] == 1 and abs(m["kl"] - math.log(1000)) < 1e-9
    real = stacked_digits_metrics(ds.sample(10000, torch.Generator().manual_seed(1)))
    assert real["modes"] >= 995 and real["kl"] < uniform_kl_floor(10000) + 0.01
    assert real["kl_corrected"] <= 0.01 and real["n"] == 10000  # the gate of issue 14: bias-corrected KL
    assert real["confident_modes"] >= 950


def test_stacked_labels_are_the_digit_triples():
    ds = load_dataset("stacked-digits")
    x, y = ds.draw(50, torch.Generator().manual_seed(3))
    model, _ = load_evaluator()
    pred = model(x.reshape(150, 1, 8, 8)).argmax(1).reshape(50, 3)
    agree = ((pred * torch.tensor([100, 10, 1])).sum(1) == y).double().mean()
    assert agree > 0.85  # ~0.966^3 with classifier errors


def test_digits_record_names_its_conventions():
    x, _ = digits_arrays("test")
    m = digits_metrics(x[:400], is_splits=1)
    assert m["n_real"] == 797 and m["n_fake"] == 400 and (m["pr_k"], m["dc_k"]) == (3, 5)
    assert m["is_splits"] == 1 and m["is_std"] == 0.0
    assert digits_metrics(x[:400])["is_splits"] == 10
