"""`gankit eval`: --is-splits gives the Inception Score of a run's samples equal to the numpy transcription of the
reference formula (openai/improved-gan) on the same evaluator logits, the split count validated and recorded; on
colour images the default is FD / KID in Inception features (n 2000) where the weights are found, the dataset's
metrics with one line saying how to get them where not, and training's own evaluations keep their metrics."""
import json
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close

from gankit.metrics.inception import resolve_weights as real_resolve_weights  # before the stand-in fixture
from gankit.training.experiment import experiment_from_checkpoint
from gankit.metrics import DIGITS_SAMPLES
from gankit.metrics.digits import features_and_logits

from ..conftest import TINY_DIGITS
from ..metrics.test_inception_score import reference_is
from ..test_cli import config_file, run, run_dir_of, trained_run
from .test_score import image_folder, small_inception  # noqa: F401  (a fixture)


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


@pytest.fixture
def colour_run(tmp_path, capsys, small_inception):  # noqa: F811  (the stand-in network stands in for weights found)
    """A run on 48 16x16 RGB images that evaluated itself (SWD) at step 2, with the stand-in Inception network."""
    image_folder(tmp_path / "real", 48, 2)
    cfg = config_file(tmp_path, TINY_DIGITS, data={"name": f"folder:{tmp_path / 'real'}", "batch_size": 16},
                      log={**TINY_DIGITS["log"], "eval_samples": 32, "eval_every": 2})
    code, out, err = run(capsys, "train", "--config", cfg, "--set", "train.steps=2")
    assert code == 0, err
    return run_dir_of(out)


def test_eval_of_colour_images_defaults_to_inception_fd_and_kid_on_2000_samples(colour_run, tmp_path, capsys,
                                                                                monkeypatch):
    from gankit import evaluation

    logged = [json.loads(line) for line in (Path(colour_run) / "metrics.jsonl").read_text().splitlines()]
    evaluations = [r for r in logged if "swd/avg" in r]
    assert evaluations and not any(k.startswith("inception/") for r in logged for k in r)  # training kept SWD
    exp, _ = experiment_from_checkpoint(colour_run)
    assert evaluation.plan_evaluation(exp, exp.spec).metrics == ("swd",)  # training's plan: the dataset's
    auto = evaluation.plan_evaluation(exp, exp.spec, features="auto")
    assert auto.inception and auto.metrics == () and auto.note == ""
    assert not evaluation.plan_evaluation(exp, exp.spec, ["swd"], features="auto").inception  # --metrics named
    assert evaluation.INCEPTION_SAMPLES == 2000  # T3's count; a smaller one here keeps the test fast
    monkeypatch.setattr(evaluation, "INCEPTION_SAMPLES", 40)
    code, out, err = run(capsys, "eval", colour_run, "-o", str(tmp_path / "e.json"))
    assert code == 0, err
    record = json.loads((tmp_path / "e.json").read_text())
    metrics = record["metrics"]
    assert record["n"] == 40 and metrics["inception/n_fake"] == metrics["inception/n_real"] == 40
    assert metrics["inception/fd"] > 0 and "inception/kid" in metrics and "inception/kid_std" in metrics
    assert metrics["inception/extractor"] == "stand-in" and metrics["inception/resize"].endswith("bilinear to 75")
    assert metrics["inception/network_dtype"] == "fp32" and not any(k.startswith("swd/") for k in metrics)
    code, out, err = run(capsys, "eval", colour_run, "-n", "24", "--precision", "bf16", "-o", str(tmp_path / "b.json"))
    bf16 = json.loads((tmp_path / "b.json").read_text())
    assert code == 0 and bf16["n"] == 24 and bf16["metrics"]["inception/network_dtype"] == "bf16"
    code, out, err = run(capsys, "eval", colour_run, "--features", "dataset", "-o", str(tmp_path / "d.json"))
    dataset = json.loads((tmp_path / "d.json").read_text())
    assert dataset["n"] == 32 and dataset["metrics"]["swd/avg"] == evaluations[-1]["swd/avg"]  # as training logged


def test_eval_without_weights_falls_back_with_one_line_saying_how_to_get_them(colour_run, tmp_path, capsys,
                                                                              monkeypatch):
    from gankit.errors import GankitError
    from gankit.metrics import inception

    def missing(path):
        raise GankitError("no Inception weights")

    monkeypatch.setattr(inception, "resolve_weights", missing)
    from gankit.evaluation import plan_evaluation

    exp, _ = experiment_from_checkpoint(colour_run)
    plan = plan_evaluation(exp, exp.spec, features="auto")
    assert not plan.inception and plan.metrics == ("swd",) and "make inception-weights" in plan.note
    code, out, err = run(capsys, "eval", colour_run, "-o", str(tmp_path / "e.json"))
    record = json.loads((tmp_path / "e.json").read_text())
    assert code == 0 and record["n"] == 32 and "swd/avg" in record["metrics"]
    (hint,) = [line for line in (out + err).splitlines() if "Inception" in line]
    assert "make inception-weights" in hint
    code, _, err = run(capsys, "eval", colour_run, "--features", "inception")  # asked for: an error, not a fallback
    assert code == 2 and "no Inception weights" in err


def test_eval_of_grey_digits_keeps_the_dataset_metrics_even_with_weights(digits_run, tmp_path, capsys,
                                                                         small_inception):  # noqa: F811
    from gankit.evaluation import plan_evaluation

    exp, _ = experiment_from_checkpoint(digits_run)
    plan = plan_evaluation(exp, exp.spec, features="auto")
    assert not plan.inception and "digits" in plan.metrics and plan.note == ""  # 1 channel: not colour


def test_eval_with_a_wrong_weights_path_is_an_error_not_a_quiet_fallback(colour_run, tmp_path, capsys, monkeypatch):
    """A path the user named (option or environment) that is missing stops eval in one line; only weights nobody
    named fall back to the dataset's metrics."""
    from gankit.metrics import inception

    monkeypatch.setattr(inception, "resolve_weights", real_resolve_weights)
    missing = str(tmp_path / "nowhere.pth")
    code, _, err = run(capsys, "eval", colour_run, "--inception-weights", missing)
    assert code == 2 and "nowhere.pth" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", missing)
    code, _, err = run(capsys, "eval", colour_run)
    assert code == 2 and "GANKIT_INCEPTION_WEIGHTS" in err


def test_reading_a_compiled_runs_checkpoint_needs_no_compiler(colour_run, monkeypatch):
    """Sampling and evaluation run eager, so a run trained with train.compile is read on a machine without g++."""
    from gankit.errors import ConfigError
    from gankit.training import experiment

    def no_compiler(device):
        raise ConfigError("config field train.compile: no compiler")

    monkeypatch.setattr(experiment, "check_compile_available", no_compiler)
    tensors, meta = experiment.load_checkpoint(experiment.find_checkpoint(Path(colour_run)))
    meta["config"]["train"]["compile"] = True
    monkeypatch.setattr(experiment, "load_checkpoint", lambda p: (tensors, meta))
    exp, _ = experiment.experiment_from_checkpoint(Path(colour_run))
    assert exp.cfg.train.compile is False  # without the fix, no_compiler's error stops the read
