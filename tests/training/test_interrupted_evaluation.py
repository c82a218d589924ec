"""A kill between a checkpoint and its evaluation: the resume runs the evaluation (and sample picture) due at the
checkpoint's step, so metrics.jsonl and samples/ match a run never stopped, line for line."""
import json

import pytest
import torch

from gankit.api import open_run
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.outputs import RunOutputs
from gankit.evaluation import evaluated_at, is_evaluation

from ..conftest import TINY_TOY, tiny

EVERY_3 = ("log.eval_every=3", "log.sample_every=3", "train.steps=6")


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the trainer catches it (attempt() catches Exception only)."""


def records(run_dir):
    """The log's rows but for session lengths (wall time: no two runs share it; tests/bench/test_jobruns.py)."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("event") != "session"]


def straight_run(tmp_path):
    trainer = open_run(tiny(TINY_TOY, tmp_path / "a", *EVERY_3))
    trainer.fit()
    return trainer.run_dir


def killed_then_resumed(tmp_path, monkeypatch, kill_in: str, at_step: int):
    original = getattr(RunOutputs, kill_in)

    def dies(self):
        if self.step == at_step:
            raise Killed
        return original(self)

    monkeypatch.setattr(RunOutputs, kill_in, dies)
    trainer = open_run(tiny(TINY_TOY, tmp_path / "b", *EVERY_3))
    with pytest.raises(Killed):
        trainer.fit()
    run_dir = trainer.run_dir
    assert not evaluated_at(records(run_dir), at_step)  # the kill took the evaluation with it
    monkeypatch.setattr(RunOutputs, kill_in, original)
    cfg = tiny(TINY_TOY, tmp_path / "b", *EVERY_3)
    cfg.data.name = trainer.cfg.data.name
    resumed = open_run(cfg, run_dir, resume=True)
    assert resumed.step == at_step
    resumed.fit()
    return run_dir


@pytest.mark.parametrize("kill_in, at_step", [("run_eval", 3), ("write_samples", 3), ("run_eval", 6)])
def test_a_kill_during_an_evaluation_loses_nothing(tmp_path, monkeypatch, kill_in, at_step):
    reference = straight_run(tmp_path)
    killed = killed_then_resumed(tmp_path, monkeypatch, kill_in, at_step)
    assert records(killed) == records(reference)
    assert sum(is_evaluation(r) for r in records(killed)) == 2  # steps 3 and 6, once each
    assert sorted(p.name for p in (killed / "samples").iterdir()) == ["step-0000003.png", "step-0000006.png"]
    a, _ = load_checkpoint(list_checkpoints(killed)[-1])
    b, _ = load_checkpoint(list_checkpoints(reference)[-1])
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_an_evaluation_record_is_told_from_loss_lines_and_events():
    assert is_evaluation({"step": 3, "toy/modes": 8}) and is_evaluation({"step": 3, "event": "evaluation failed"})
    assert not is_evaluation({"step": 3, "D/total": 1.0, "G/total": 2.0})
    assert not is_evaluation({"step": 3, "event": "divergence rollback"})


def test_a_failed_resume_still_removes_a_kills_temporary_files(tmp_path):
    from gankit.errors import GankitError

    trainer = open_run(tiny(TINY_TOY, tmp_path))
    trainer.fit()
    run_dir = trainer.run_dir
    leftovers = [run_dir / "checkpoints" / ".step-0000009.safetensors.tmp", run_dir / "samples" / ".step-0000009.png.tmp"]
    for path in leftovers:
        path.write_bytes(b"half written")
    for path in list_checkpoints(run_dir):
        path.write_bytes(b"not a checkpoint any more")
    cfg = tiny(TINY_TOY, tmp_path)
    cfg.data.name = trainer.cfg.data.name
    with pytest.raises(GankitError, match="no checkpoint loads"):
        open_run(cfg, run_dir, resume=True)
    assert not any(path.exists() for path in leftovers)


def test_the_resume_command_of_a_finished_run_completes_its_final_evaluation(tmp_path, monkeypatch, capsys):
    from gankit import cli

    reference = straight_run(tmp_path)
    original = RunOutputs.run_eval

    def dies_at_the_end(self):
        if self.step == 6:
            raise Killed
        return original(self)

    monkeypatch.setattr(RunOutputs, "run_eval", dies_at_the_end)
    trainer = open_run(tiny(TINY_TOY, tmp_path / "c", *EVERY_3))
    with pytest.raises(Killed):
        trainer.fit()
    monkeypatch.setattr(RunOutputs, "run_eval", original)
    assert cli.main(["train", "--resume", str(trainer.run_dir)]) == 0
    assert "already at step 6 of 6" in capsys.readouterr().out
    assert records(trainer.run_dir) == records(reference)
