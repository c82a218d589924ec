"""The roofline's rows: each workload's FLOPs per unit, its rate and fraction of the peak computed right, the
Inception row without weights, and the table and JSON that report them."""
import json

import pytest
import torch

from gankit.bench import roofline
from gankit.bench.flops import Peak
from gankit.bench.roofline import NOT_INSTALLED, Row

PEAK = Peak(fp32=40.0, bf16=80.0, threads=1, cpu="Test CPU")


def test_rate_and_fractions_of_the_peak():
    fp32 = Row("w", "iteration", "fp32", seconds=0.5, flops=2e9)
    assert fp32.gflops_per_second() == pytest.approx(4.0)
    assert fp32.fractions(PEAK) == pytest.approx({"fp32": 0.1})  # bf16's peak only for rows that ran bf16
    bf16 = Row("w", "iteration", "bf16+fp32", seconds=0.5, flops=2e9)
    assert bf16.fractions(PEAK) == pytest.approx({"fp32": 0.1, "bf16": 0.05})


def test_a_preset_row_times_and_counts_one_training_iteration(tmp_path):
    from gankit.bench.flops import flops_per_iteration
    from gankit.bench.speed import preset_trainer

    row = roofline.preset_row("digits-wgan-gp", tmp_path, repeats=1, iterations=1)
    reference = flops_per_iteration(preset_trainer("digits-wgan-gp", tmp_path / "reference"))
    assert (row.workload, row.unit, row.precision) == ("digits-wgan-gp", "iteration", "fp32")
    assert row.flops == reference.flops and 0 < row.seconds < 60


def test_the_digits_evaluator_row_is_per_image():
    row = roofline.evaluator_row(repeats=1, iterations=1)
    assert row.flops == 2 * (64 * 128 + 128 * 64 + 64 * 10)  # the 64-128-64-10 MLP, features and logits
    assert row.unit == "image" and row.precision == "fp32" and 0 < row.seconds < 1


def test_without_inception_weights_the_row_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    row = roofline.inception_row(repeats=1, images=1)
    assert row.note == NOT_INSTALLED and row.seconds is None
    table = roofline.roofline_table(PEAK, [row])
    assert f"| {row.workload} | - | {NOT_INSTALLED} |" in table
    assert roofline.roofline_record(PEAK, [row])["rows"] == [{"workload": row.workload, "unit": "image",
                                                              "note": NOT_INSTALLED}]


def test_the_inception_row_goes_through_the_public_loader(monkeypatch):
    """A small random network (75x75 input) stands in for the weights: the row counts per image."""
    from gankit.metrics import inception
    from gankit.metrics.inception_net import FIDInceptionV3

    torch.manual_seed(0)
    model = FIDInceptionV3(input_size=75).eval()
    monkeypatch.setattr(inception, "resolve_weights", lambda path: None)
    monkeypatch.setattr(inception, "load_network", lambda weights, resize=None: (model, "stand-in"))
    one, two = roofline.inception_row(repeats=1, images=1), roofline.inception_row(repeats=1, images=2)
    assert one.flops == pytest.approx(two.flops) and one.flops > 1e8  # per image, whatever the batch
    assert "bilinear to 75" in one.workload and one.unit == "image" and one.seconds > 0


def test_the_table_and_record_show_every_column():
    rows = [Row("digits-sngan", "iteration", "fp32", seconds=0.025, flops=3e9),
            Row("digits evaluator", "image", "fp32", seconds=1e-6, flops=34048)]
    table = roofline.roofline_table(PEAK, rows).splitlines()
    assert table[0] == PEAK.line()
    assert table[2] == ("| workload | precision | ms/iter or images/s | GFLOP per iter or image | GFLOP/s | "
                        "% of peak |")
    assert table[4] == "| digits-sngan | fp32 | 25.00 ms/iter | 3 | 120.00 | 300.0% of fp32 |"
    assert table[5] == "| digits evaluator | fp32 | 1,000,000.0 images/s | 3.405e-05 | 34.05 | 85.1% of fp32 |"
    record = json.loads(json.dumps(roofline.roofline_record(PEAK, rows)))
    assert record["peak"] == {"fp32_gflops": 40.0, "bf16_gflops": 80.0, "threads": 1, "cpu": "Test CPU"}
    assert record["rows"][0]["gflops_per_second"] == pytest.approx(120.0)
    assert record["rows"][0]["fraction_of_peak"] == pytest.approx({"fp32": 3.0})


def test_run_roofline_gives_the_peak_and_a_row_per_preset_and_network(monkeypatch):
    monkeypatch.setattr(roofline, "measure_peak", lambda repeats: PEAK)
    monkeypatch.setattr(roofline, "preset_row", lambda preset, *a: Row(preset, "iteration", "fp32", 1.0, 1.0))
    monkeypatch.setattr(roofline, "evaluator_row", lambda *a: Row("digits evaluator", "image", "fp32", 1.0, 1.0))
    monkeypatch.setattr(roofline, "inception_row", lambda *a: Row("Inception-v3 features", "image", note=NOT_INSTALLED))
    before = torch.get_num_threads()
    try:
        peak, rows = roofline.run_roofline(("a", "b"), repeats=1, iterations=1, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert peak is PEAK and [r.workload for r in rows] == ["a", "b", "digits evaluator", "Inception-v3 features"]
    assert "digits-sngan" in roofline.ROOFLINE_PRESETS and "digits-wgan-gp" in roofline.ROOFLINE_PRESETS
