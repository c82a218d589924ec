"""Every command refuses what it can know is wrong before it does the work: no sample drawn, no data read,
no checkpoint loaded when the arguments alone say no."""
import time

import pytest

import gankit.data
from gankit.training.experiment import Experiment

from ..conftest import TINY_BIGAN, TINY_DIGITS
from ..test_cli import run, trained_run


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return str(trained_run(tmp_path_factory.mktemp("refusals"), TINY_DIGITS))


@pytest.fixture
def no_work(monkeypatch):
    """Counts samples drawn and fails on any data read."""
    drawn = []
    generate = Experiment.generate
    monkeypatch.setattr(Experiment, "generate", lambda self, z, *a, **k: drawn.append(len(z)) or generate(self, z, *a, **k))

    def no_data(*a, **k):
        raise AssertionError("the data was read before the refusal")

    monkeypatch.setattr(gankit.data, "load_dataset", no_data)
    return drawn


def test_eval_of_toy_metrics_on_a_digits_run_is_refused_at_once(digits_run, capsys, no_work):
    start = time.perf_counter()
    code, _, err = run(capsys, "eval", digits_run, "--metrics", "toy")
    elapsed = time.perf_counter() - start
    assert code == 2 and no_work == [] and elapsed < 1.0
    assert "metric toy needs a dataset with known modes (one that lists the toy metric); dataset digits gives images of shape [1, 8, 8] " \
           "(metrics that apply to it: digits, swd)" in err and err.count("\n") == 1


def test_the_check_is_a_function_of_the_names_and_the_data(digits_run):
    from gankit.data import load_dataset
    from gankit.errors import ConfigError
    from gankit.metrics import check_metrics_apply

    ring, digits, stacked = (load_dataset(n).spec for n in ("ring8", "digits", "stacked-digits"))
    check_metrics_apply(["toy"], ring)
    check_metrics_apply(["digits", "swd"], digits)
    check_metrics_apply(["stacked-digits", "swd"], stacked)
    for names, spec, needs in ((["digits"], ring, "8x8 grey images"), (["swd"], ring, "images"),
                               (["stacked-digits"], digits, "3 channels"), (["digits"], stacked, "8x8 grey"),
                               (["toy"], load_dataset("swissroll").spec, "known modes")):
        with pytest.raises(ConfigError, match=needs):
            check_metrics_apply(names, spec)
    with pytest.raises(ConfigError, match="unknown metric 'toys'; did you mean 'toy'"):
        check_metrics_apply(["toys"], ring)


@pytest.mark.parametrize("argv, message", [
    (["eval", "RUN", "--likelihood", "4"], "has no tractable density"),
    (["encode", "RUN", "-o", "TMP/c.npz"], "encode: this run's objective 'ns' has no encoder"),
    (["reconstruct", "RUN", "-o", "TMP/r.png"], "reconstruct: this run's objective 'ns' has no encoder"),
    (["interpolate", "RUN", "--data", "digits", "-o", "TMP/i.png"], "interpolate --data: this run's objective 'ns' has no"),
])
def test_a_run_that_cannot_do_it_is_refused_before_its_data_is_read(digits_run, tmp_path, capsys, no_work, argv, message):
    argv = [a.replace("RUN", digits_run).replace("TMP", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and no_work == []


@pytest.mark.parametrize("argv, message", [
    (["eval", "NONE", "--likelihood", "4", "--metrics", "digits"], "--likelihood reports a held-out log-likelihood"),
    (["eval", "NONE", "--likelihood", "4", "--features", "inception"], "drop --features inception or --likelihood"),
    (["encode", "NONE", "-o", "TMP/codes.png"], "codes.png: expected a file ending in .npz"),
    (["reconstruct", "NONE", "-o", "TMP/r.docx"], "nothing here writes .docx"),
    (["interpolate", "NONE", "-o", "TMP/i.txt"], "nothing here writes .txt"),
    (["refine", "NONE", "--sampler", "hmc"], "unknown sampler 'hmc'"),
    (["sample", "NONE", "-o", "TMP/s.doc"], "nothing here writes .doc"),
    (["sample", "NONE", "--out-dir", "TMP/fakes", "--apply", "2"], "--apply shapes the -o picture; --out-dir writes"),
    (["sample", "NONE", "--out-dir", "TMP/fakes", "--quality", "80"], "--quality shapes the -o picture"),
])
def test_arguments_that_say_no_are_refused_before_the_checkpoint_is_read(tmp_path, capsys, argv, message):
    argv = [a.replace("NONE", str(tmp_path / "no-such-run")).replace("TMP", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "no such run" not in err


def test_refine_of_a_run_without_an_energy_is_refused_before_its_data_is_read(tmp_path, capsys, monkeypatch):
    run_dir = str(trained_run(tmp_path, TINY_BIGAN))
    drawn = []
    monkeypatch.setattr(Experiment, "generate", lambda self, z, *a, **k: drawn.append(len(z)))
    monkeypatch.setattr(gankit.data, "load_dataset", lambda *a, **k: pytest.fail("read the data"))
    code, _, err = run(capsys, "refine", run_dir, "--eval")
    assert code == 2 and "has no critic over x alone" in err and drawn == []
