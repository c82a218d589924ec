"""gankit plot: a PNG of a run's losses and metrics."""
from PIL import Image

from gankit.cli import main
from gankit.cli.plot import constant_counts, split_series


def test_split_series_puts_loss_lines_and_evaluations_apart():
    records = [{"step": 1, "D/total": 1.0, "gp": 0.1}, {"step": 2, "D/total": 0.5, "gp": 0.2},
               {"step": 2, "toy/hq": 0.3, "digits/evaluator": "v1"}]
    losses, metrics = split_series(records)
    assert losses == {"D/total": [(1, 1.0), (2, 0.5)], "gp": [(1, 0.1), (2, 0.2)]}
    assert metrics == {"toy/hq": [(2, 0.3)]}


def test_counts_that_never_change_are_told_not_drawn():
    metrics = {"digits/n_real": [(1, 797), (2, 797)], "digits/classes": [(1, 9), (2, 10)],
               "digits/fd": [(1, 3.0), (2, 3.0)], "toy/modes": [(2, 8)]}
    assert constant_counts(metrics) == {"digits/n_real": 797}  # a moving count, a real number, one evaluation


def test_plot_writes_a_png(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    lines = [f'{{"step": {s}, "D/total": {1 / s}, "G/total": {s / 10}, "gp": 0.1}}' for s in range(1, 20)]
    (run / "metrics.jsonl").write_text("\n".join(lines + ['{"step": 19, "toy/hq": 0.5, "toy/modes": 8}']) + "\n")
    assert main(["plot", str(run)]) == 0
    with Image.open(run / "curves.png") as im:
        assert im.width > 500 and im.height > 300


def test_plot_of_an_empty_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "no metrics.jsonl records" in capsys.readouterr().err


def test_a_bad_output_name_is_refused_before_reading_the_run(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "no-such-run"), "-o", str(tmp_path / "curves.jpg")]) == 2
    err = capsys.readouterr().err
    assert "expected a file ending in .png" in err and len(err.strip().splitlines()) == 1
