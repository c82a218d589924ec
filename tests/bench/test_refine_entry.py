"""A refinement entry of the quality benchmark records the metrics before and after `gankit refine`."""
from gankit.bench import quality, tasks

from ..conftest import TINY_TOY


def test_refine_entry_records_metrics_before_and_after(tmp_path, monkeypatch):
    tiny = {**TINY_TOY, "log": {**TINY_TOY["log"], "eval_every": 6, "checkpoint_every": 6}}
    monkeypatch.setitem(tasks.TASKS, "tiny-refine", {"a": tiny})
    monkeypatch.setitem(tasks.REFINE, ("tiny-refine", "a"), {"sampler": "mala", "steps": 2, "step_size": 0.01, "beta": 1.0})
    record = quality.run_one(("tiny-refine", "a", 0, str(tmp_path)))
    assert {"toy/hq", "refined/toy/hq", "refined/toy/modes"} <= set(record["final"])
    assert record["refine"]["sampler"] == "mala"
    assert "| refined hq |" in quality.markdown(quality.summarise([record]))
