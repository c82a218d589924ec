import math

import torch

from gankit.data import load_dataset
from gankit.data.toy2d import ring8_means


def test_ring8_definition():
    ds = load_dataset("ring8")
    assert ds.spec.shape == (2,) and not ds.spec.bounded and ds.spec.metrics == ("toy",)
    r = math.sqrt(2)
    expected = {(2, 0), (-2, 0), (0, 2), (0, -2), (r, r), (r, -r), (-r, r), (-r, -r)}
    got = {tuple(round(v, 6) for v in row) for row in (ds.modes.means * 1.414).tolist()}
    assert got == {tuple(round(v, 6) for v in p) for p in expected}
    assert math.isclose(ds.modes.std, 0.02 / 1.414)
    x = ds.sample(4000, torch.Generator().manual_seed(0))
    d, idx = torch.cdist(x, ds.modes.means).min(1)
    assert d.max() < 8 * ds.modes.std  # every sample sits on a mode
    assert torch.bincount(idx, minlength=8).min() > 400  # equal weights (500 expected each)
    radial = (x - ds.modes.means[idx])
    assert abs(float(radial.std()) - ds.modes.std) / ds.modes.std < 0.05


def test_grid25_definition():
    ds = load_dataset("grid25")
    assert len(ds.modes.means) == 25
    assert torch.allclose(ds.modes.means.abs().max(), torch.tensor(4 / 2.828))
    assert math.isclose(ds.modes.std, 0.05 / 2.828)


def test_swissroll_scale_and_determinism():
    ds = load_dataset("swissroll")
    a = ds.sample(500, torch.Generator().manual_seed(1))
    b = ds.sample(500, torch.Generator().manual_seed(1))
    assert a.shape == (500, 2) and torch.equal(a, b)
    assert a.abs().max() < 2.5  # make_swiss_roll spans about +-14, divided by 7.5


def test_toy_batches_follow_the_global_seed():
    ds = load_dataset("ring8")
    torch.manual_seed(3)
    a, _ = ds.batches(16).next()
    torch.manual_seed(3)
    b, _ = ds.batches(16).next()
    assert a.shape == (16, 2) and torch.equal(a, b)


def test_ring8_means_count():
    assert ring8_means().shape == (8, 2)
