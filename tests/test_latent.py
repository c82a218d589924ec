import pytest
import torch
from torch.testing import assert_close

from gankit.errors import ConfigError
from gankit.latent import interpolation_rows, lerp, slerp


def test_slerp_keeps_the_norm_and_hits_the_ends():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(a, b, torch.linspace(0, 1, 5))
    assert_close(path[0], a)
    assert_close(path[-1], b)
    assert_close(path.norm(dim=1), torch.full((5,), 3.0))
    assert_close(path[2], torch.tensor([3.0, 3.0]) / 2**0.5)  # halfway along the arc, not the chord


def test_lerp_and_rows():
    a, b = torch.zeros(3), torch.ones(3)
    assert_close(lerp(a, b, torch.tensor([0.25]))[0], torch.full((3,), 0.25))
    rows = interpolation_rows(torch.stack([a, b]), torch.stack([b, a]), 4, "linear")
    assert rows.shape == (8, 3) and torch.equal(rows[3], b) and torch.equal(rows[4], b)
    assert torch.equal(slerp(a + 1, 2 * (a + 1), torch.tensor([0.5]))[0], torch.full((3,), 1.5))  # parallel: linear
    with pytest.raises(ConfigError, match="choose from slerp, linear"):
        interpolation_rows(a[None], b[None], 3, "cubic")
