import pytest
import torch

from gankit.data import DataSpec, TensorDataset, load_dataset
from gankit.errors import DataError


def test_digits_all():
    ds = load_dataset("digits")
    assert len(ds) == 1797 and ds.spec.shape == (1, 8, 8) and ds.spec.num_classes == 10
    assert ds.x.min() == -1.0 and ds.x.max() == 1.0


def test_benchmark_split_is_stratified_and_disjoint():
    train, test = load_dataset("digits-train"), load_dataset("digits-test")
    assert (len(train), len(test)) == (1000, 797)
    counts = torch.bincount(test.labels, minlength=10)
    assert counts.min() >= 76 and counts.max() <= 84  # ~797/10 per class
    joined = torch.cat([train.x, test.x]).flatten(1)
    assert len(torch.unique(joined, dim=0)) == len(torch.unique(load_dataset("digits").x.flatten(1), dim=0))


def test_digits_resized():
    ds = load_dataset("digits", resolution=16)
    assert ds.spec.shape == (1, 16, 16) and ds.x.abs().max() <= 1.0


def test_resolution_not_power_of_two():
    with pytest.raises(DataError, match="resolution 12 is not a power of two"):
        load_dataset("digits", resolution=12)


def test_epoch_batches_cover_every_sample_once_per_epoch():
    ds = TensorDataset(DataSpec("ids", (1,)), torch.arange(797.0)[:, None])
    src = ds.batches(100)
    seen = torch.cat([src.next()[0] for _ in range(7)]).flatten()  # one epoch, the ragged 97 dropped
    assert len(seen.unique()) == 700
    rng, state = torch.get_rng_state(), src.state_dict()
    a = torch.cat([src.next()[0] for _ in range(3)])  # crosses into the next epoch
    torch.set_rng_state(rng)
    src.load_state_dict(state)
    assert torch.equal(torch.cat([src.next()[0] for _ in range(3)]), a)
