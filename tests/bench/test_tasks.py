"""Benchmark task definitions: an entry derived from a preset differs from it only where the task says."""
import pytest

from gankit.bench.tasks import TASKS
from gankit.config import build_config
from gankit.presets import load_preset, preset_names

DERIVED = [(t, e) for t in ("t1-grid", "t3-grid") for e in TASKS[t] if e not in preset_names()]  # grid25-wgan-gp has its own


def test_the_grid_tasks_derive_their_entries_from_ring8_presets():
    assert len(DERIVED) == len(TASKS["t1-grid"]) - 1 + len(TASKS["t3-grid"]) >= 13


@pytest.mark.parametrize("task, entry", DERIVED)
def test_a_grid_entry_is_its_ring8_preset_on_the_grid(task, entry):
    """Only the dataset changes: the preset's batch size (256 for most, 128 for the EBM) and everything else
    stay (a new data name used to replace the whole data mapping: these entries trained at the default 64)."""
    grid = build_config(TASKS[task][entry])
    ring = build_config(load_preset(entry.replace("grid25-", "ring8-")))
    assert grid.data.name == "grid25"
    grid.data.name = "ring8"
    assert grid == ring
