"""A bench job trains in a run directory of its own and continues what is there: an entry whose steps were raised
is pending again and goes on from its last checkpoint to the same result as a fresh run of that many steps, with
the training time of both sessions; a run of another config, or past the entry's steps, is refused in one line;
--rerun trains in a new folder and leaves the recorded run alone."""
import json

import pytest

from gankit.bench import quality, tasks
from gankit.bench.jobruns import job_folders, job_run_dir
from gankit.errors import ConfigError

from ..conftest import TINY_TOY


def entry(steps: int, gp_weight: float = 0.1) -> dict:
    return {**TINY_TOY, "objective": {"name": "wgan-gp", "options": {"gp_weight": gp_weight}},
            "train": {**TINY_TOY["train"], "steps": steps}, "log": {**TINY_TOY["log"], "eval_every": 3}}


def sessions(run_dir) -> list[tuple[int, int]]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["from_step"], r["step"]) for r in rows if r.get("event") == "session"]


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(tasks.HEADLINE, "tiny", "toy/hq")
    return lambda **entries: monkeypatch.setitem(tasks.TASKS, "tiny", entries)


def test_raised_steps_continue_the_run_to_a_fresh_runs_result(tmp_path, tiny):
    out = tmp_path / "continued"
    tiny(a=entry(6))
    short = quality.run_one(("tiny", "a", 0, str(out)))
    assert quality.pending_jobs(["tiny"], 1, out) == []
    tiny(a=entry(12))
    assert quality.pending_jobs(["tiny"], 1, out) == [("tiny", "a", 0, str(out))]  # its record has 6 of 12 steps
    continued = quality.run_one(("tiny", "a", 0, str(out)))
    fresh = quality.run_one(("tiny", "a", 0, str(tmp_path / "fresh")))
    run_dir = job_run_dir(out, "tiny", "a", 0)
    assert continued["run_dir"] == short["run_dir"] == str(run_dir) and job_folders(out, "tiny", "a", 0) == [run_dir]
    assert sessions(run_dir) == [(0, 6), (6, 12)] and continued["trained_steps"] == 12
    assert short["seconds"] < continued["seconds"] < short["seconds"] + 60  # the first session's time carried on
    assert [h["step"] for h in continued["history"]] == [3, 6, 9, 12]
    for key, value in fresh["final"].items():  # exact resume: the same run as 12 steps at once
        assert continued["final"][key] == pytest.approx(value, rel=1e-5, abs=1e-7), key


def test_another_config_or_fewer_steps_are_refused_and_rerun_trains_in_a_new_folder(tmp_path, tiny):
    tiny(a=entry(6))
    first = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    tiny(a=entry(6, gp_weight=1.0))
    with pytest.raises(ConfigError, match=r"another objective\.options\.gp_weight than the entry's; --rerun"):
        quality.run_one(("tiny", "a", 0, str(tmp_path)))
    tiny(a=entry(3))
    with pytest.raises(ConfigError, match=r"at step 6, past the entry's 3 steps"):
        quality.run_one(("tiny", "a", 0, str(tmp_path)))
    again = quality.run_one(("tiny", "a", 0, str(tmp_path)), rerun=True)
    old, new = job_folders(tmp_path, "tiny", "a", 0)
    assert (first["run_dir"], again["run_dir"]) == (str(old), str(new)) and new.name == "tiny-a-s0-r1"
    assert sessions(new) == [(0, 3)] and sessions(old) == [(0, 6)]  # the first record's run is still there


def test_a_run_killed_before_its_first_checkpoint_starts_over(tmp_path, tiny):
    tiny(a=entry(6))
    run_dir = job_run_dir(tmp_path, "tiny", "a", 0)
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.jsonl").write_text('{"step": 2, "d_loss": 99.0}\n')  # the killed attempt's only line
    record = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    assert "99.0" not in (run_dir / "metrics.jsonl").read_text() and [h["step"] for h in record["history"]] == [3, 6]


def test_a_checkpoint_from_before_the_seconds_were_counted_falls_back_to_the_sessions(tmp_path, tiny):
    from gankit.bench.jobruns import trained_seconds
    from gankit.training.checkpoint import load_checkpoint, save_checkpoint

    tiny(a=entry(3))
    record = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    path = job_run_dir(tmp_path, "tiny", "a", 0) / "checkpoints" / "step-0000003.safetensors"
    tensors, meta = load_checkpoint(path)
    assert trained_seconds(path, [], 99.0) == meta["train_seconds"] == record["seconds"] > 0
    del meta["train_seconds"]
    save_checkpoint(path, tensors, meta)
    sessions = [{"step": 2, "event": "session", "from_step": 0, "seconds": 2.0}, {"step": 3, "d_loss": 1.0},
                {"step": 3, "event": "session", "from_step": 2, "seconds": 3.0}]
    assert trained_seconds(path, sessions, 99.0) == 5.0 and trained_seconds(path, sessions[1:2], 99.0) == 99.0


def test_a_folder_another_process_trains_in_is_not_removed(tmp_path, tiny):
    from gankit.errors import CheckpointError
    from gankit.training.lock import RunLock

    tiny(a=entry(6))
    run_dir = job_run_dir(tmp_path, "tiny", "a", 0)
    run_dir.mkdir(parents=True)
    with RunLock(run_dir), pytest.raises(CheckpointError, match="another gankit process"):
        quality.run_one(("tiny", "a", 0, str(tmp_path)))  # no checkpoint yet: it would have started over
    assert run_dir.is_dir()


def test_an_interrupted_job_writes_no_record_and_the_next_bench_continues_it(tmp_path, tiny, monkeypatch):
    from gankit.training.trainer import Trainer

    tiny(a=entry(6))
    after = Trainer.after_iteration

    def ctrl_c_at_step_3(self, bar):
        after(self, bar)
        self.interrupted = self.interrupted or self.step == 3  # what the first Ctrl-C sets

    monkeypatch.setattr(Trainer, "after_iteration", ctrl_c_at_step_3)
    stopped = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    assert stopped["interrupted"] and not quality.record_path(tmp_path, "tiny", "a", 0).exists()
    assert quality.pending_jobs(["tiny"], 1, tmp_path) == [("tiny", "a", 0, str(tmp_path))]
    monkeypatch.setattr(Trainer, "after_iteration", after)
    record = quality.run_one(("tiny", "a", 0, str(tmp_path)))
    assert record["run_dir"] == stopped["run_dir"] and record["trained_steps"] == 6
    assert sessions(job_run_dir(tmp_path, "tiny", "a", 0)) == [(0, 3), (3, 6)]
