"""ADA's colour groups: gray and luma kept where they should be, alpha kept, gray read as its RGB pixel."""
import pytest
import torch

from gankit.objectives.ada_colour import colour
from gankit.objectives.ada_transforms import COLOUR_GROUPS

from .test_ada_transforms import images


@pytest.mark.parametrize("group", ["hue", "saturation"])
def test_hue_and_saturation_keep_gray_and_luma(group):
    torch.manual_seed(0)
    gray = images(n=16, c=1).expand(16, 3, 16, 16)
    assert torch.allclose(colour(gray, 1.0, [group]), gray, atol=1e-5)  # the gray axis is their fixed line
    x = images(n=16)
    assert torch.allclose(colour(x, 1.0, [group]).mean(1), x.mean(1), atol=1e-5)  # luma (r + g + b) / 3 kept


def test_colour_keeps_alpha_and_acts_on_gray_as_on_its_rgb():
    torch.manual_seed(0)
    rgba = images(n=16, c=4)
    y = colour(rgba, 1.0, list(COLOUR_GROUPS))
    assert torch.equal(y[:, 3], rgba[:, 3]) and not torch.allclose(y[:, :3], rgba[:, :3])
    gray = images(n=16, c=1)
    torch.manual_seed(3)
    g = colour(gray, 1.0, list(COLOUR_GROUPS))
    torch.manual_seed(3)
    rgb = colour(gray.expand(16, 3, 16, 16).contiguous(), 1.0, list(COLOUR_GROUPS))
    assert torch.allclose(g[:, 0], rgb.mean(1), atol=1e-5)  # (g, g, g) mapped and averaged back


def test_lumaflip_turns_a_gray_value_about_mid_gray():
    torch.manual_seed(0)
    gray = images(n=200, c=1)
    y = colour(gray, 1.0, ["lumaflip"])
    kept = torch.isclose(y, gray, atol=1e-5).flatten(1).all(1)
    flipped = torch.isclose(y, -gray, atol=1e-5).flatten(1).all(1)
    assert torch.all(kept | flipped) and 60 < int(flipped.sum()) < 140
