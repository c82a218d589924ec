"""Atomic writes: a crash mid-write leaves the previous checkpoint loadable; loading runs no code."""
import pytest
import torch

from gankit.errors import CheckpointError
from gankit.training import checkpoint as ckpt


def write(path, value, step):
    tensors = {"w": torch.full((3,), float(value)), "rng.cpu": torch.get_rng_state()}
    ckpt.save_checkpoint(path, tensors, {"step": step, "config": {}, "spec": {}, "optim": {}})


def test_round_trip(tmp_path):
    path = ckpt.checkpoint_path(tmp_path, 5)
    write(path, 1.5, 5)
    tensors, meta = ckpt.load_checkpoint(path)
    assert torch.equal(tensors["w"], torch.full((3,), 1.5)) and meta["step"] == 5


def test_crash_during_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = ckpt.checkpoint_path(tmp_path, 1)
    write(path, 1.0, 1)

    def half_write(filename, data):
        with open(filename, "wb") as f:
            f.write(b"\x00" * 10)  # a few bytes, then the process "dies"
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "write_bytes", half_write)
    with pytest.raises(OSError):
        write(path, 2.0, 1)  # overwriting the same step: the old file must survive
    with pytest.raises(OSError):
        write(ckpt.checkpoint_path(tmp_path, 2), 2.0, 2)
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step-0000001.safetensors"]
    tensors, _ = ckpt.load_checkpoint(ckpt.find_checkpoint(tmp_path))
    assert torch.equal(tensors["w"], torch.full((3,), 1.0))


def test_leftover_temporary_file_from_a_killed_process_is_ignored(tmp_path):
    write(ckpt.checkpoint_path(tmp_path, 1), 1.0, 1)
    (tmp_path / "checkpoints" / ".step-0000002.safetensors.tmp").write_bytes(b"partial")
    assert ckpt.find_checkpoint(tmp_path).name == "step-0000001.safetensors"


def test_truncated_or_foreign_files_give_clear_errors(tmp_path):
    path = ckpt.checkpoint_path(tmp_path, 1)
    write(path, 1.0, 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ckpt.load_checkpoint(path)
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(1)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(CheckpointError, match="without gankit metadata"):
        ckpt.load_checkpoint(tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="no such run directory"):
        ckpt.find_checkpoint(tmp_path / "nothing")
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    with pytest.raises(CheckpointError, match="no checkpoint in"):
        ckpt.find_checkpoint(tmp_path / "empty")


def test_prune_keeps_the_newest(tmp_path):
    for step in (1, 2, 10):
        write(ckpt.checkpoint_path(tmp_path, step), step, step)
    ckpt.prune_checkpoints(tmp_path, keep=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-0000002.safetensors", "step-0000010.safetensors"]


def test_optimizer_state_round_trip():
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.0, 0.9))
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors, meta = ckpt.flatten_optimizer(opt, "optim.D")
    fresh = torch.optim.Adam(net.parameters(), lr=5.0)
    ckpt.restore_optimizer(fresh, tensors, meta, "optim.D")
    assert fresh.param_groups[0]["lr"] == 1e-3 and fresh.param_groups[0]["betas"] == (0.0, 0.9)
    for a, b in zip(opt.state.values(), fresh.state.values()):
        assert all(torch.equal(a[k], b[k]) for k in a)
