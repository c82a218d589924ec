"""`gankit eval --is-splits`: the Inception Score of a run's samples through the command line equals the
numpy transcription of the reference formula (openai/improved-gan) on the same evaluator logits, and the
split count is validated and recorded."""
import json

import pytest
import torch
from torch.testing import assert_close

from gankit.training.experiment import experiment_from_checkpoint
from gankit.metrics import DIGITS_SAMPLES
from gankit.metrics.digits import features_and_logits

from ..conftest import TINY_DIGITS
from ..metrics.test_inception_score import reference_is
from ..test_cli import run, trained_run


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return trained_run(tmp_path_factory.mktemp("is-splits"), TINY_DIGITS)


def test_is_splits_give_the_reference_values_through_the_cli(digits_run, capsys):
    exp, _ = experiment_from_checkpoint(digits_run)
    z = exp.objective.sample_z(1000, torch.Generator().manual_seed(7))
    probs = features_and_logits(exp.generate(z)[:DIGITS_SAMPLES])[1].double().softmax(1).numpy()
    for splits in (1, 10):
        out = digits_run / f"is-{splits}.json"
        code, text, _ = run(capsys, "eval", str(digits_run), "-n", "1000", "--seed", "7", "--is-splits", str(splits),
                            "-o", str(out))
        assert code == 0 and f"is_splits {splits}" in text
        metrics = json.loads(out.read_text())["metrics"]
        mean, std = reference_is(probs, splits)
        assert metrics["digits/is_splits"] == splits
        assert_close(torch.tensor([metrics["digits/is"], metrics["digits/is_std"]], dtype=torch.float64),
                     torch.tensor([mean, std], dtype=torch.float64), rtol=1e-5, atol=1e-6)
    default = digits_run / "is-default.json"
    assert run(capsys, "eval", str(digits_run), "-n", "1000", "--seed", "7", "-o", str(default))[0] == 0
    assert json.loads(default.read_text())["metrics"]["digits/is_splits"] == 10


@pytest.mark.parametrize("argv, message", [
    (["--is-splits", "0"], "expected a number >= 1, got 0"),
    (["--is-splits", "two"], "expected a whole number, got 'two'"),
    (["-n", "1000", "--is-splits", "798"], "computed on 797 samples; expected at most 797 splits"),
    (["--metrics", "swd", "--is-splits", "2"], "none of the metrics swd reports an Inception Score"),
    (["--likelihood", "4", "--is-splits", "2"], "--likelihood reports a log-likelihood, no inception score"),
])
def test_bad_split_counts_get_one_line(digits_run, capsys, argv, message):
    from gankit import cli

    try:
        code = cli.main(["eval", str(digits_run), *argv])
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_baselines_take_the_split_count(capsys):
    code, text, _ = run(capsys, "eval", "baselines", "--is-splits", "1")
    assert code == 0 and "is_splits 1" in text


def test_baselines_refuse_more_splits_than_samples(capsys):
    from gankit.metrics.baselines import N

    code, _, err = run(capsys, "eval", "baselines", "--is-splits", str(N + 1))
    assert code == 2 and f"expected at most {N} splits" in err and len(err.strip().splitlines()) == 1
