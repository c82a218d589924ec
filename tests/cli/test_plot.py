"""gankit plot: a PNG of a run's losses and metrics."""
import pytest
from PIL import Image

from gankit.cli import main
from gankit.cli.plot import constant_counts, loss_panels, split_series


def test_split_series_puts_loss_lines_and_evaluations_apart():
    records = [{"step": 1, "D/total": 1.0, "gp": 0.1}, {"step": 2, "D/total": 0.5, "gp": 0.2},
               {"step": 2, "toy/hq": 0.3, "digits/evaluator": "v1"},
               {"step": 2, "event": "session", "from_step": 0, "seconds": 9.5},  # events are not series
               {"step": 2, "event": "divergence rollback", "diverged_at": 2, "restored": 1, "lr": 0.5}]
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


def test_the_inception_score_and_its_spread_share_a_panel(tmp_path):
    from gankit.cli.plot import draw_panels, metric_panels

    evaluations = {"digits/is": [(s, 2.0 + s / 100) for s in (100, 200, 300)],
                   "digits/is_std": [(s, 0.1) for s in (100, 200, 300)], "digits/fd": [(100, 5.0), (300, 3.0)]}
    panels = metric_panels(evaluations, constant={})
    assert [title for title, _, _ in panels] == ["digits/is", "digits/fd"]  # no panel of is_std of its own
    assert panels[0][2] == {"digits/is": evaluations["digits/is_std"]}
    fig = draw_panels(panels, "t")
    (is_axes,) = [ax for ax in fig.axes if ax.get_title() == "digits/is"]
    bars = [c for c in is_axes.collections if len(c.get_segments()) == 3]  # one error bar per evaluation
    (segments,) = [c.get_segments() for c in bars]
    ends = sorted(v for seg in segments for v in (float(seg[:, 1].min()), float(seg[:, 1].max())))
    assert ends == pytest.approx([2.9, 3.1, 3.9, 4.1, 4.9, 5.1])  # IS +- is_std at each evaluation
    assert not any(ax.get_title().endswith("is_std") for ax in fig.axes)


def test_a_long_run_draws_the_spread_as_a_band(tmp_path):
    from matplotlib.collections import PolyCollection

    from gankit.cli.plot import draw_panels, metric_panels

    evaluations = {"inception/is": [(s, 3.0) for s in range(40)], "inception/is_std": [(s, 0.5) for s in range(40)]}
    fig = draw_panels(metric_panels(evaluations, {}), "t")
    (ax,) = [ax for ax in fig.axes if ax.get_title() == "inception/is"]
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == 2.5 and ys.max() == 3.5


def test_plot_of_a_run_with_an_inception_score_writes_its_png(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    lines = [f'{{"step": {s}, "D/total": 1.0}}' for s in (1, 2)]
    lines += [f'{{"step": {s}, "digits/is": {2 + s / 10}, "digits/is_std": 0.2}}' for s in (1, 2)]
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["plot", str(run)]) == 0
    assert Image.open(run / "curves.png").width > 300


def test_adas_p_and_r_t_get_a_panel_of_their_own():
    records = [{"step": s, "D/total": 1.0, "d_real": 0.5, "ada/p": s / 100, "ada/r_t": 0.6} for s in (10, 20)]
    losses, _ = split_series(records)
    titles = {title: set(series) for title, series, _ in loss_panels(losses)}
    assert titles["adaptive augmentation: p and r_t"] == {"ada/p", "ada/r_t"}
    assert titles["loss terms and diagnostics"] == {"d_real"}
    assert all("ada" not in title for title, _, _ in loss_panels(split_series(records[:0] + [
        {"step": 1, "D/total": 1.0}])[0]))  # a run without ADA draws no such panel
