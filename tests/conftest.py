"""Shared helpers: tiny configs that train in well under a second."""
from __future__ import annotations

import pytest
import torch

from gankit.config import build_config

TINY_TOY = {
    "name": "tiny-ring", "data": {"name": "ring8", "batch_size": 32},
    "model": {"z_dim": 2, "G": {"name": "mlp", "options": {"hidden": 16, "depth": 2}},
              "D": {"name": "mlp", "options": {"hidden": 16, "depth": 2}}},
    "objective": {"name": "wgan-gp", "options": {"gp_weight": 0.1}},
    "train": {"steps": 6, "n_critic": 2, "ema_decay": 0.9, "threads": 1},
    "log": {"log_every": 1, "sample_every": 0, "eval_every": 0, "checkpoint_every": 3, "eval_samples": 200,
            "progress": False, "keep_checkpoints": 10},
}

TINY_DIGITS = {
    "name": "tiny-digits", "data": {"name": "digits", "batch_size": 32},
    "model": {"z_dim": 8, "G": {"name": "dcgan", "options": {"width": 16, "norm": "batch"}},
              "D": {"name": "dcgan", "options": {"width": 16, "norm": "batch"}}},
    "objective": {"name": "ns"},
    "train": {"steps": 6, "n_critic": 2, "ema_decay": 0.9, "threads": 1},
    "log": {"log_every": 1, "sample_every": 0, "eval_every": 0, "checkpoint_every": 3, "num_samples": 16,
            "progress": False, "keep_checkpoints": 10},
}

TINY_BIGAN = {**TINY_DIGITS, "objective": {"name": "bigan"},
              "model": {**TINY_DIGITS["model"], "E": {"name": "dcgan", "options": {"width": 16}},
                        "D": {"name": "dcgan", "options": {"width": 16, "joint_hidden": 16}}},
              "optim": {k: {"name": "adam", "lr": 1e-4} for k in "GED"}}


def tiny(base: dict, tmp_path, *overrides: str):
    return build_config(base, overrides=[f"out_dir={tmp_path / 'runs'}", *overrides])


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory, monkeypatch):
    """The list of trusted run directories lives in a folder of the test session, not the user's home."""
    monkeypatch.setenv("GANKIT_STATE_DIR", str(tmp_path_factory.mktemp("gankit-state")))


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
