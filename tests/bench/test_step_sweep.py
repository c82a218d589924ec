"""A diffusion teacher's bench record holds its evaluations at other sampler step counts (filled in later for a record
kept from before), the table shows them as rows, and the report draws the metric against NFE with the student."""
import json

import pytest

from gankit.bench import nfe, quality, tasks

from ..conftest import TINY_TOY
from ..objectives.diffusion.test_edm import TINY_EDM_TOY
from ..objectives.diffusion.test_sid import sid_config

TEACHER = {**TINY_EDM_TOY, "log": {**TINY_EDM_TOY["log"], "eval_every": 6, "checkpoint_every": 6}}  # sample_steps 4


@pytest.fixture
def tiny_task(monkeypatch):
    monkeypatch.setitem(tasks.TASKS, "tiny", {"teacher": TEACHER, "student": {**sid_config(""), "log": TEACHER["log"]}})
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    monkeypatch.setitem(tasks.STEP_SWEEPS, ("tiny", "teacher"), (1, 2, 4))
    monkeypatch.setitem(tasks.TEACHERS, ("tiny", "student"), ("tiny", "teacher"))
    monkeypatch.setitem(tasks.NFE_FIGURES, "tiny", "toy/reverse_kl")


def test_the_teacher_record_holds_its_sweep_and_the_table_its_rows(tmp_path, tiny_task):
    record = quality.run_one(("tiny", "teacher", 0, str(tmp_path)))
    assert record["nfe"] == 7  # Heun on 4 levels
    assert {n: ev["nfe"] for n, ev in record["steps"].items()} == {"1": 1, "2": 3, "4": 7}
    assert record["steps"]["1"]["sampling"] == "heun, 1 steps, 1 NFE"  # the NFE the sampler counted as it sampled
    # the sweep goes through training's evaluation: at the run's own 4 steps it measures what training measured
    for key, value in record["final"].items():
        assert record["steps"]["4"]["metrics"][key] == pytest.approx(value, rel=1e-6, abs=1e-9)
    saved = json.loads((tmp_path / "tiny" / "teacher-s0.json").read_text())
    assert saved["steps"] == record["steps"]
    table = quality.markdown(quality.summarise([record]))
    assert "ENTRY @ N steps: the same runs sampled with N steps after training)" in table.splitlines()[0]
    rows = [line for line in table.splitlines() if line.startswith("| teacher")]
    assert [r.split(" | ")[0] for r in rows] == ["| teacher", "| teacher @ 1 step (1 NFE)", "| teacher @ 2 steps (3 NFE)",
                                                 "| teacher @ 4 steps (7 NFE)"]
    assert rows[1].split(" | ")[1] == "1" and rows[1].endswith(" |  |")  # one seed; no training time of its own


def test_a_record_from_before_the_sweep_is_filled_in_from_its_run_without_training(tmp_path, tiny_task):
    record = quality.run_one(("tiny", "teacher", 0, str(tmp_path)))
    path = tmp_path / "tiny" / "teacher-s0.json"
    old = {k: v for k, v in record.items() if k not in ("steps", "nfe")}
    old["steps"] = {"2": record["steps"]["2"]}  # one step count kept: only the others are evaluated
    path.write_text(json.dumps(old))
    runs_before = sorted((tmp_path / "runs").iterdir())
    assert quality.run_quality(["tiny"], 1, tmp_path, entries=["teacher"]) == []  # nothing left to train
    filled = json.loads(path.read_text())
    assert sorted((tmp_path / "runs").iterdir()) == runs_before
    assert filled["nfe"] == 7 and filled["steps"] == record["steps"] and filled["history"] == record["history"]
    assert nfe.fill_in([path]) == []  # complete now: nothing re-evaluated


def test_a_record_whose_run_is_gone_is_left_with_a_note(tmp_path, tiny_task, capsys):
    path = tmp_path / "teacher-s0.json"
    path.write_text(json.dumps({"task": "tiny", "entry": "teacher", "run_dir": str(tmp_path / "gone"), "final": {}}))
    assert nfe.fill_in([path]) == [] and "is gone" in capsys.readouterr().out


def test_the_student_states_its_nfe_and_the_report_draws_both(tmp_path, tiny_task):
    teacher = quality.run_one(("tiny", "teacher", 0, str(tmp_path)))
    student = quality.run_one(("tiny", "student", 0, str(tmp_path)))
    assert student["nfe"] == 1 and "steps" not in student
    points = nfe.nfe_points([teacher, student], "tiny", "teacher", "toy/reverse_kl")
    assert sorted(points) == [1, 3, 7] and points[7] == [teacher["final"]["toy/reverse_kl"]]
    assert nfe.nfe_points([teacher, student], "tiny", "student", "toy/hq") == {1: [student["final"]["toy/hq"]]}
    paths = nfe.plot_nfe([teacher, student], tmp_path)
    assert [p.name for p in paths] == ["tiny-nfe.png"] and paths[0].stat().st_size > 1000


def fake(entry: str, seed: int, fd: float, nfe_: int, sweep: dict | None = None) -> dict:
    record = {"task": "tiny", "entry": entry, "seed": seed, "seconds": 1.0, "final": {"digits/fd": fd}, "nfe": nfe_}
    if sweep:
        record["steps"] = {n: {"nfe": c, "sampling": "", "metrics": {"digits/fd": v}} for n, (c, v) in sweep.items()}
    return record


def test_seeds_are_averaged_per_nfe_and_no_sweep_draws_no_figure(tmp_path, tiny_task, monkeypatch):
    monkeypatch.setitem(tasks.NFE_FIGURES, "tiny", "digits/fd")
    records = [fake("teacher", 0, 1.5, 35, {"1": (1, 140.0), "2": (3, 260.0)}),
               fake("teacher", 1, 1.7, 35, {"1": (1, 150.0), "2": (3, 240.0)}), fake("student", 0, 2.7, 1)]
    assert nfe.nfe_points(records, "tiny", "teacher", "digits/fd") == {1: [140.0, 150.0], 3: [260.0, 240.0],
                                                                       35: [1.5, 1.7]}
    summary = quality.summarise(records)["tiny"]
    assert summary["teacher @ 1 step (1 NFE)"]["digits/fd"] == (145.0, pytest.approx(7.0710678), 2)
    assert [p.name for p in nfe.plot_nfe(records, tmp_path)] == ["tiny-nfe.png"]
    assert nfe.plot_nfe([fake("teacher", 0, 1.5, 35)], tmp_path / "none") == []  # no sweep: no figure


def test_a_sweep_of_an_objective_without_sampler_steps_is_a_one_line_error(tmp_path, monkeypatch):
    from gankit.errors import ConfigError

    tiny = {**TINY_TOY, "log": {**TINY_TOY["log"], "checkpoint_every": 6}}
    monkeypatch.setitem(tasks.TASKS, "tiny", {"gan": tiny})
    monkeypatch.setitem(tasks.STEP_SWEEPS, ("tiny", "gan"), (1,))
    with pytest.raises(ConfigError, match="tiny/gan: objective 'wgan-gp' has no sample_steps"):
        quality.run_one(("tiny", "gan", 0, str(tmp_path)))
