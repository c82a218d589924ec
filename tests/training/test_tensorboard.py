"""log.tensorboard: the event file holds the metrics.jsonl scalars and the sample pictures."""
import pytest

from gankit.training.logging import MetricsLog

from ..conftest import TINY_DIGITS, TINY_TOY, tiny
from .test_trainer import make_trainer

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


@pytest.mark.parametrize("base", [TINY_TOY, TINY_DIGITS], ids=["2-D plot", "image grid"])
def test_event_file_holds_scalars_and_images(tmp_path, base):
    cfg = tiny(base, tmp_path, "log.tensorboard=true", "log.sample_every=3", "log.eval_every=3", "log.eval_samples=200")
    make_trainer(cfg, tmp_path / "run").fit()
    events = event_accumulator.EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    records = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    logged = events.Scalars("D/total")
    assert [e.step for e in logged] == [r["step"] for r in records]
    assert [e.value for e in logged] == pytest.approx([r["D/total"] for r in records], rel=1e-6)
    metric = "toy/hq" if base is TINY_TOY else "digits/fd"
    assert [e.step for e in events.Scalars(metric)] == [3, 6]
    images = events.Images("samples")
    assert [i.step for i in images] == [3, 6] and images[0].width > 100 and images[0].height > 100


def test_off_by_default(tmp_path):
    make_trainer(tiny(TINY_TOY, tmp_path), tmp_path / "run").fit()
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_a_resumed_run_shows_each_step_once(tmp_path):
    """Stopped after step 5 with its last checkpoint at 3: the resumed run's events for 4 and 5 replace the
    first ones, as its metrics.jsonl records do."""
    make_trainer(tiny(TINY_TOY, tmp_path, "log.tensorboard=true", "train.steps=5"), tmp_path / "run").fit()
    (tmp_path / "run" / "checkpoints" / "step-0000005.safetensors").unlink()  # as if it died before saving
    resumed = make_trainer(tiny(TINY_TOY, tmp_path, "log.tensorboard=true"), tmp_path / "run")
    resumed.resume()
    resumed.fit()
    events = event_accumulator.EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    records = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    assert [e.step for e in events.Scalars("D/total")] == [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [e.value for e in events.Scalars("D/total")] == pytest.approx([r["D/total"] for r in records], rel=1e-6)


def test_a_rollback_purges_the_events_it_undid(tmp_path):
    """Diverged at step 5, rolled back to the checkpoint of step 3: TensorBoard shows each step once, the
    values of the run that went on, as metrics.jsonl does."""
    from .test_faults import ExplodingBatches

    cfg = tiny(TINY_TOY, tmp_path, "log.tensorboard=true", "train.on_divergence=rollback")
    trainer = make_trainer(cfg, tmp_path / "run")
    trainer.batches = ExplodingBatches(trainer.batches, at=2 * 4 + 1)
    trainer.fit()
    events = event_accumulator.EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    records = [r for r in MetricsLog(tmp_path / "run" / "metrics.jsonl").read() if "D/total" in r]
    logged = events.Scalars("D/total")
    assert [e.step for e in logged] == [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]  # step 4 once, not twice
    assert [e.value for e in logged] == pytest.approx([r["D/total"] for r in records], rel=1e-6)
