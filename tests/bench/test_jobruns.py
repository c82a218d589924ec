"""A bench job trains in a run directory of its own and continues what is there: an entry whose steps were raised
goes on from its last checkpoint to the same result as a fresh run of that many steps, with the training time of
both sessions; a run of another config is refused in one line, and --rerun starts it again."""
import json

import pytest

from gankit.bench import quality, tasks
from gankit.bench.jobruns import job_run_dir
from gankit.errors import ConfigError

from ..conftest import TINY_TOY


def entry(steps: int, gp_weight: float = 0.1) -> dict:
    return {**TINY_TOY, "objective": {"name": "wgan-gp", "options": {"gp_weight": gp_weight}},
            "train": {**TINY_TOY["train"], "steps": steps}, "log": {**TINY_TOY["log"], "eval_every": 3}}


def sessions(run_dir) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("event") == "session"]


def test_raised_steps_continue_the_run_to_a_fresh_runs_result(tmp_path, monkeypatch):
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": entry(6)})
    short = quality.run_one(("tiny", "a", 0, str(tmp_path / "continued")))
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": entry(12)})
    continued = quality.run_one(("tiny", "a", 0, str(tmp_path / "continued")))  # the 6-step record stays; asked again
    fresh = quality.run_one(("tiny", "a", 0, str(tmp_path / "fresh")))
    run_dir = job_run_dir(tmp_path / "continued", "tiny", "a", 0)
    assert continued["run_dir"] == short["run_dir"] == str(run_dir)
    assert [(s["from_step"], s["step"]) for s in sessions(run_dir)] == [(0, 6), (6, 12)]
    assert continued["seconds"] == pytest.approx(sum(s["seconds"] for s in sessions(run_dir)))
    assert continued["seconds"] > short["seconds"]
    assert [h["step"] for h in continued["history"]] == [3, 6, 9, 12]
    for key, value in fresh["final"].items():  # exact resume: the same run as 12 steps at once
        assert continued["final"][key] == pytest.approx(value, rel=1e-5, abs=1e-7), key


def test_a_run_of_another_config_is_refused_and_rerun_trains_it_again(tmp_path, monkeypatch):
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": entry(6)})
    quality.run_one(("tiny", "a", 0, str(tmp_path)))
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": entry(6, gp_weight=1.0)})
    with pytest.raises(ConfigError, match=r"another objective\.options\.gp_weight than the entry's; --rerun"):
        quality.run_one(("tiny", "a", 0, str(tmp_path)))
    again = quality.run_one(("tiny", "a", 0, str(tmp_path)), rerun=True)
    assert [(s["from_step"], s["step"]) for s in sessions(job_run_dir(tmp_path, "tiny", "a", 0))] == [(0, 6)]
    assert again["seconds"] > 0


def test_a_run_killed_before_its_first_checkpoint_starts_over(tmp_path, monkeypatch):
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    monkeypatch.setitem(tasks.TASKS, "tiny", {"a": entry(6)})
    run_dir = job_run_dir(tmp_path, "tiny", "a", 0)
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.jsonl").write_text('{"step": 2, "d_loss": 99.0}\n')  # the killed attempt's only line
    record = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    assert "99.0" not in (run_dir / "metrics.jsonl").read_text() and [h["step"] for h in record["history"]] == [3, 6]
