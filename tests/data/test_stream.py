"""Streamed folders and ZIPs: the same batches as in memory, decoded by workers, resumed at the exact position."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import dataset_for, load_dataset
from gankit.data.stream import StreamedImages
from gankit.training.experiment import build_experiment
from gankit.training.trainer import Trainer

from ..conftest import TINY_DIGITS, tiny
from ..training.test_trainer import assert_bit_identical, full_state


def make_folder(root, n=20, size=8):
    root.mkdir()
    rng = np.random.RandomState(0)
    for i in range(n):
        Image.fromarray(rng.randint(0, 256, (size, size), dtype=np.uint8)).save(root / f"{i:03d}.png")
    return root


def draw(source, k):
    return [source.next()[0] for _ in range(k)]


@pytest.mark.parametrize("workers", [0, 2])
def test_stream_gives_the_in_memory_batches(tmp_path, workers):
    folder = make_folder(tmp_path / "imgs")
    memory = load_dataset(f"folder:{folder}", resolution=8)
    streamed = load_dataset(f"folder:{folder}", resolution=8, stream=True, workers=workers)
    assert isinstance(streamed, StreamedImages) and not hasattr(streamed, "x")
    torch.manual_seed(0)
    expected = draw(memory.batches(6), 7)  # 3 batches per epoch: crosses two epoch ends
    torch.manual_seed(0)
    got = draw(streamed.batches(6), 7)
    for a, b in zip(expected, got):
        assert torch.equal(a, b)
    g = torch.Generator().manual_seed(3)
    assert torch.equal(memory.sample(5, g), streamed.sample(5, torch.Generator().manual_seed(3)))


def test_stream_position_resumes_exactly(tmp_path):
    folder = make_folder(tmp_path / "imgs")
    streamed = load_dataset(f"folder:{folder}", resolution=8, stream=True)
    torch.manual_seed(1)
    source = streamed.batches(6)
    draw(source, 2)
    state, rng = source.state_dict(), torch.get_rng_state()
    after = draw(source, 4)
    again = streamed.batches(6)
    again.load_state_dict(state)
    torch.set_rng_state(rng)
    for a, b in zip(after, draw(again, 4)):
        assert torch.equal(a, b)


def test_streamed_training_resumes_bit_identically(tmp_path):
    folder = make_folder(tmp_path / "imgs", n=40)
    overrides = (f"data.name=folder:{folder}", "data.resolution=8", "data.stream=true", "data.batch_size=16")

    def trainer(run_dir, *more):
        cfg = tiny(TINY_DIGITS, tmp_path, *overrides, *more)
        dataset = dataset_for(cfg.data)
        run_dir.mkdir(parents=True, exist_ok=True)
        return Trainer(build_experiment(cfg, dataset.spec), dataset, run_dir)

    straight = trainer(tmp_path / "straight")
    straight.fit()
    trainer(tmp_path / "resumed", "train.steps=3").fit()
    second = trainer(tmp_path / "resumed")
    second.resume()
    second.fit()
    assert_bit_identical(full_state(straight), full_state(second))


def test_stream_refuses_kinds_read_into_memory():
    from gankit.errors import ConfigError

    with pytest.raises(ConfigError, match="streaming reads folder and zip"):
        load_dataset("digits", stream=True)
