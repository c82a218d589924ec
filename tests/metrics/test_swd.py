import numpy as np
import pytest
import scipy.ndimage
import torch
from torch.testing import assert_close

from gankit.data import load_dataset
from gankit.metrics import METRICS
from gankit.metrics.swd import laplacian_pyramid, pyr_down, pyr_up, swd

GAUSS = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float64) / 256.0


def test_pyramid_matches_scipy_mirror_filtering_and_reconstructs():
    x = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 255
    ref_down = scipy.ndimage.convolve(x.numpy(), GAUSS[None, None], mode="mirror")[:, :, ::2, ::2]
    assert_close(pyr_down(x), torch.from_numpy(ref_down))
    up = np.zeros((2, 3, 16, 16))
    up[:, :, ::2, ::2] = ref_down
    assert_close(pyr_up(torch.from_numpy(ref_down)), torch.from_numpy(
        scipy.ndimage.convolve(up, 4 * GAUSS[None, None], mode="mirror")))
    pyr = laplacian_pyramid(x, 3)
    assert [p.shape[-1] for p in pyr] == [16, 8, 4]
    back = pyr[-1]
    for level in pyr[-2::-1]:
        back = pyr_up(back) + level
    assert_close(back, x)


def test_swd_near_zero_for_the_same_data_and_large_for_noise():
    data = load_dataset("digits", resolution=16)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(data), generator=g)
    a, b = data.x[perm[:400]], data.x[perm[400:800]]
    same = swd(a, a, seed=1)["avg"]
    halves = swd(a, b)
    noise = swd(a, torch.rand_like(a) * 2 - 1)
    shifted = swd(a, torch.roll(a, 3, dims=-1))  # another image distribution made of the same pixels
    assert set(halves) == {"avg", "16px"}
    assert same < halves["avg"] < 0.1 * shifted["avg"]
    assert noise["avg"] > 10 * halves["avg"]


def test_swd_levels_and_registered_metric():
    data = load_dataset("digits", resolution=32)
    out = METRICS.get("swd")(data.x[:200], data)
    assert set(out) == {"avg", "32px", "16px"} and out["avg"] == pytest.approx((out["32px"] + out["16px"]) / 2)
    with pytest.raises(ValueError, match="one shape"):
        swd(data.x[:4], data.x[:4, :, :16, :16])
