"""data.mirror: the set doubled with its mirrors, in memory and streamed, deterministic and resumed exactly."""
import pytest
import torch

from gankit.config import build_config
from gankit.data import dataset_for, load_dataset
from gankit.errors import ConfigError

from ..conftest import TINY_DIGITS
from ..training.test_trainer import assert_bit_identical, full_state, loss_lines, straight_and_resumed
from .test_stream import draw, make_folder


def config(*overrides):
    return build_config(TINY_DIGITS, overrides=list(overrides)).data


def test_mirror_doubles_the_digits_with_their_flips_and_samples_the_originals():
    plain, mirrored = dataset_for(config()), dataset_for(config("data.mirror=true"))
    n = len(plain)
    assert len(mirrored) == 2 * n and mirrored.spec == plain.spec
    assert torch.equal(mirrored.x[:n], plain.x) and torch.equal(mirrored.x[n:], plain.x.flip(3))
    assert torch.equal(mirrored.labels, torch.cat([plain.labels, plain.labels]))
    g = torch.Generator()
    assert torch.equal(mirrored.sample(50, g.manual_seed(1)), plain.sample(50, g.manual_seed(1)))  # metrics: as given


def test_mirrored_batches_are_deterministic_and_cover_both_halves():
    mirrored = dataset_for(config("data.mirror=true"))
    torch.manual_seed(0)
    first = draw(mirrored.batches(64), 10)
    torch.manual_seed(0)
    again = draw(mirrored.batches(64), 10)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    source = mirrored.batches(len(mirrored) // 2)
    epoch = torch.cat(draw(source, 2))  # one epoch: every image and every mirror once
    assert torch.equal(epoch.flatten(1).sort(0).values, mirrored.x.flatten(1).sort(0).values)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_streamed_mirror_gives_the_in_memory_mirror_batches(tmp_path, workers):
    folder = make_folder(tmp_path / "imgs")
    memory = dataset_for(build_config({"data": {"name": f"folder:{folder}", "resolution": 8, "mirror": True}}).data)
    streamed = dataset_for(build_config({"data": {"name": f"folder:{folder}", "resolution": 8, "mirror": True,
                                                  "stream": True, "workers": workers}}).data)
    assert len(streamed) == len(memory) == 40
    torch.manual_seed(0)
    expected = draw(memory.batches(6), 8)
    torch.manual_seed(0)
    assert all(torch.equal(a, b) for a, b in zip(expected, draw(streamed.batches(6), 8)))
    g = torch.Generator()
    assert torch.equal(streamed.sample(5, g.manual_seed(2)), memory.sample(5, g.manual_seed(2)))


def test_mirror_on_vectors_is_refused():
    with pytest.raises(ConfigError, match="data.mirror: mirroring flips images; dataset 'ring8' gives vectors"):
        dataset_for(build_config({"data": {"name": "ring8", "mirror": True}}).data)


def test_mirrored_training_resumes_bit_identically(tmp_path):
    straight, resumed = straight_and_resumed({**TINY_DIGITS, "data": {**TINY_DIGITS["data"], "mirror": True}}, tmp_path)
    assert_bit_identical(full_state(straight), full_state(resumed))
    assert loss_lines(tmp_path / "straight") == loss_lines(tmp_path / "resumed")
    assert len(straight.dataset) == 2 * len(load_dataset("digits"))
