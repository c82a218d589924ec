"""Faults the trainer survives: a failing evaluation after the checkpoint, a corrupt newest checkpoint,
leftover temporary files, and divergence stopped or rolled back."""
import json
import os
import stat

import pytest
import torch
from tqdm import tqdm

from gankit.errors import TrainingDiverged
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.divergence import phase_health
from gankit.training.logging import LossMeter, MetricsLog

from ..conftest import TINY_TOY, tiny
from .test_trainer import InterruptingBatches, assert_bit_identical, full_state, make_trainer


def events(run_dir):
    """The log's fault events (a session's length, logged by every fit, is not one)."""
    return [r for r in MetricsLog(run_dir / "metrics.jsonl").read() if r.get("event", "session") != "session"]


def test_a_crash_in_eval_at_a_checkpoint_step_keeps_that_checkpoint(tmp_path, monkeypatch):
    cfg = tiny(TINY_TOY, tmp_path, "log.eval_every=3", "log.checkpoint_every=3")
    trainer = make_trainer(cfg, tmp_path / "run")

    def crash():
        assert (tmp_path / "run" / "checkpoints" / f"step-{trainer.step:07d}.safetensors").exists()
        raise FloatingPointError("eigenvalues did not converge")

    monkeypatch.setattr(trainer, "run_eval", crash)
    result = trainer.fit()  # reported, logged, and training goes on to the end
    assert result["step"] == 6 and result["metrics"] == {}
    assert [p.name for p in list_checkpoints(tmp_path / "run")] == ["step-0000003.safetensors", "step-0000006.safetensors"]
    assert [(e["step"], e["event"]) for e in events(tmp_path / "run")] == [(3, "evaluation failed"), (6, "evaluation failed")]
    assert "FloatingPointError: eigenvalues did not converge" in events(tmp_path / "run")[0]["error"]


def test_resume_falls_back_to_the_newest_checkpoint_that_loads(tmp_path):
    make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run").fit()
    newest = list_checkpoints(tmp_path / "run")[-1]
    newest.write_bytes(newest.read_bytes()[:1000])  # cut short
    trainer = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    path = trainer.resume()
    assert path.name == "step-0000003.safetensors" and trainer.step == 3
    assert "step-0000006.safetensors: not a readable checkpoint" in trainer.skipped[0]
    trainer.lock.release()


def test_leftover_temporary_files_are_removed_and_modes_follow_the_umask(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.steps=3")
    make_trainer(cfg, tmp_path / "run").fit()
    folder = tmp_path / "run" / "checkpoints"
    for name in (".step-0000004.safetensors.tmp", ".tmpAb3_x9"):
        (folder / name).write_bytes(b"partial")
    (tmp_path / "run" / ".metrics.jsonl.tmp").write_text("{}")
    trainer = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    trainer.resume()
    old = os.umask(0o022)
    try:
        trainer.fit()
    finally:
        os.umask(old)
    assert sorted(p.name for p in folder.iterdir()) == ["step-0000003.safetensors", "step-0000006.safetensors"]
    assert stat.S_IMODE((folder / "step-0000006.safetensors").stat().st_mode) == 0o644
    assert not list((tmp_path / "run").glob(".*.tmp"))


class ExplodingBatches(InterruptingBatches):
    """Scales the n-th batch by 1e8: a finite explosion of the critic's loss, once."""

    def next(self):
        self.calls += 1
        x, y = self.inner.next()
        return (x * 1e8, y) if self.calls == self.at else (x, y)


def test_phase_health_reads_the_total_and_each_networks_global_norms():
    """Each network's gradient and weight norm is the norm over all its tensors (as clip_grad_norm_ takes it);
    a parameter without a gradient counts for the weights only."""
    torch.manual_seed(0)
    a, b = torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)
    b.bias.requires_grad_(False)
    (a.weight.sum() * 3 + b(torch.randn(5, 4)).square().sum()).backward()
    health = phase_health("D", {"total": torch.tensor(2.5)}, {"a": list(a.parameters()), "b": list(b.parameters())})
    assert health["D/total"] == 2.5
    assert health["grad_norm/a"] == pytest.approx(3 * 12 ** 0.5)  # only a.weight has a gradient: 3 everywhere
    assert health["grad_norm/b"] == pytest.approx(float(b.weight.grad.norm()), rel=1e-6)
    for name, net in (("a", a), ("b", b)):
        everything = torch.cat([p.detach().flatten() for p in net.parameters()])
        assert health[f"weight_norm/{name}"] == pytest.approx(float(everything.norm()), rel=1e-6)


def test_divergence_stops_naming_quantity_and_step(tmp_path):
    trainer = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run")
    trainer.batches = ExplodingBatches(trainer.batches, at=2 * 4 + 1)  # the first batch of iteration 5 (2 real batches each: G draws none)
    with pytest.raises(TrainingDiverged, match=r"D/total = \S+ at step 5, over 1000x .*step-0000003"):
        trainer.fit()


def test_rollback_restores_the_last_good_weights_and_lowers_the_learning_rate(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.on_divergence=rollback", "train.rollback_lr_factor=0.25")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.batches = ExplodingBatches(trainer.batches, at=2 * 4 + 1)
    restored = {}
    load_state = trainer.load_state

    def remember(tensors, meta, path):
        load_state(tensors, meta, path)
        restored.update({k: v.clone() for k, v in full_state(trainer).items()})

    trainer.load_state = remember
    result = trainer.fit()
    assert result["step"] == 6 and trainer.rollbacks == 1
    saved, _ = load_checkpoint(tmp_path / "run" / "checkpoints" / "step-0000003.safetensors")
    assert_bit_identical(restored, {k: saved[k] for k in restored})  # the last good weights, exactly
    (event,) = events(tmp_path / "run")
    assert event["step"] == 3 and event["diverged_at"] == 5 and event["quantity"] == "D/total"
    assert event["restored"] == "step-0000003.safetensors"
    assert all(opt.param_groups[0]["lr"] == pytest.approx(0.25 * cfg.optim[n].lr) for n, opt in trainer.exp.optimizers.items())
    _, meta = load_checkpoint(result["checkpoint"])  # the lowered rate travels in the checkpoint
    assert meta["optim"]["D"]["param_groups"][0]["lr"] == pytest.approx(0.25 * cfg.optim["D"].lr)
    assert meta["rollbacks"] == 1


def test_rollback_before_the_first_checkpoint_goes_back_to_the_start(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.on_divergence=rollback", "log.checkpoint_every=100")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.batches = ExplodingBatches(trainer.batches, at=4)
    assert trainer.fit()["step"] == 6
    (event,) = events(tmp_path / "run")
    assert event["step"] == 0 and event["restored"] == "the initial state"


class NaNBatches(InterruptingBatches):
    """NaN data for one batch only (the at-th drawn), as a rare bad batch does."""

    def next(self):
        self.calls += 1
        x, y = self.inner.next()
        return (x * float("nan"), y) if self.calls == self.at else (x, y)


def test_a_nan_loss_rolls_back_like_an_explosion(tmp_path):
    cfg = tiny(TINY_TOY, tmp_path, "train.on_divergence=rollback", "train.rollback_lr_factor=0.5")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.batches = NaNBatches(trainer.batches, at=2 * 4 + 1)  # the first batch of iteration 5
    result = trainer.fit()
    assert result["step"] == 6 and trainer.rollbacks == 1
    (event,) = events(tmp_path / "run")
    assert event["quantity"] == "loss d_loss of phase D" and event["diverged_at"] == 5 and event["step"] == 3
    assert event["value"] == "nan" and event["level"] == "nan"  # strict JSON: no NaN token in the file
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert all(json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in metrics.jsonl")) for line in lines)
    assert all(opt.param_groups[0]["lr"] == pytest.approx(0.5 * cfg.optim[n].lr) for n, opt in trainer.exp.optimizers.items())
    tensors, _ = load_checkpoint(result["checkpoint"])
    assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())


def test_the_detector_state_travels_in_checkpoints_so_resume_stays_exact(tmp_path):
    straight = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "straight")
    straight.fit()
    make_trainer(tiny(TINY_TOY, tmp_path, "train.steps=3"), tmp_path / "resumed").fit()
    resumed = make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "resumed")
    resumed.resume()
    assert resumed.watch.levels and set(resumed.watch.levels) == set(straight.watch.levels)
    resumed.fit()
    assert resumed.watch.levels == straight.watch.levels
    assert_bit_identical(full_state(straight), full_state(resumed))
    tensors, _ = load_checkpoint(list_checkpoints(tmp_path / "resumed")[-1])
    assert {"divergence.D/total", "divergence.grad_norm/D", "divergence.weight_norm/G"} <= set(tensors)


def test_a_resume_between_two_loss_lines_logs_them_as_a_run_never_stopped(tmp_path):
    cfg = "log.log_every=4"  # checkpoints at 3: the window of steps 1-4 is open when it is written
    straight = make_trainer(tiny(TINY_TOY, tmp_path, cfg), tmp_path / "straight")
    straight.fit()
    killed = make_trainer(tiny(TINY_TOY, tmp_path, cfg), tmp_path / "resumed")
    with tqdm(disable=True) as bar:
        for _ in range(3):  # three iterations and the checkpoint of step 3, then "kill -9": no finish()
            killed.train_iteration()
            killed.after_iteration(bar)
    resumed = make_trainer(tiny(TINY_TOY, tmp_path, cfg), tmp_path / "resumed")
    resumed.resume()
    resumed.fit()
    lines = [[r for r in MetricsLog(d / "metrics.jsonl").read() if "D/total" in r] for d in (tmp_path / "straight", tmp_path / "resumed")]
    assert lines[0] == lines[1] and [r["step"] for r in lines[0]] == [4, 6]


def test_loss_sums_in_a_saved_state_stay_as_saved_while_training_goes_on(tmp_path):
    """The meter adds to its sums in place: the state a checkpoint or a rollback keeps holds copies."""
    trainer = make_trainer(tiny(TINY_TOY, tmp_path, "log.log_every=100"), tmp_path / "run")
    trainer.train_iteration()
    tensors, meta = trainer.state()
    saved = {k: v.clone() for k, v in tensors.items() if k.startswith("loss_sums.")}
    trainer.load_state(tensors, meta, tmp_path / "run")
    for _ in range(2):
        trainer.train_iteration()
    assert saved and all(torch.equal(tensors[k], v) for k, v in saved.items())
    assert trainer.loss_meter.counts["D/total"] == 3 * meta["loss_counts"]["D/total"]  # one iteration, then three


def test_loss_meter_sums_each_name_as_separate_adds_would():
    meter = LossMeter()
    first, second = torch.tensor(0.1, dtype=torch.bfloat16), torch.tensor(0.7, dtype=torch.bfloat16)
    meter.add_all({"a": first, "b": torch.tensor(2.0)})
    meter.add_all({"a": second})
    meter.add("b", torch.tensor(3.0))
    assert first.item() == torch.tensor(0.1, dtype=torch.bfloat16).item()  # the first value is not the running sum
    means = meter.take_means()
    assert means["a"].dtype == torch.bfloat16 and means["a"] == (0.0 + first + second) / 2
    assert means["b"] == 2.5 and not meter


def test_metrics_log_writes_non_finite_numbers_as_strings(tmp_path):
    """A NaN metric anywhere in a record (here FD of a broken generator, and a nested value) keeps the file
    strict JSON, and reads back as the strings."""
    log = MetricsLog(tmp_path / "metrics.jsonl")
    log.write({"step": 1, "digits/fd": float("nan"), "lr": {"D": float("inf"), "G": 1e-4}, "ok": 2.5,
               "per_class": [0.5, float("-inf")]})
    line = (tmp_path / "metrics.jsonl").read_text()
    record = json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in metrics.jsonl"))
    assert record == {"step": 1, "digits/fd": "nan", "lr": {"D": "inf", "G": 1e-4}, "ok": 2.5, "per_class": [0.5, "-inf"]}
