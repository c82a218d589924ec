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


def test_every_t3_entry_is_a_valid_config():
    from gankit.config import build_config

    for task in ("t3-ring", "t3-grid", "t3-digits", "t3-refine-ring", "t3-refine-digits"):
        for entry in tasks.TASKS[task]:
            cfg = build_config(tasks.task_config(task, entry, 0, "runs"))
            assert cfg.train.threads == 1 and task in tasks.HEADLINE
    assert all(entry in tasks.TASKS[task] for task, entry in tasks.REFINE)
