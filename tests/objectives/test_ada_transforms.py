"""ADA's augmentation groups: identity at p = 0, exact integer geometry, shapes and ranges of every group,
constant images kept constant by the geometry, gradients through the pipeline (colour: test_ada_colour.py)."""
import pytest
import torch

from gankit.config_checks import ADA_GROUPS
from gankit.objectives.ada import augment
from gankit.objectives.ada_transforms import COLOUR_GROUPS, GENERAL_GROUPS, INTEGER_GROUPS, mirrored_index

GEOMETRIC = INTEGER_GROUPS + GENERAL_GROUPS


def images(n=64, c=3, side=16, seed=0):
    return torch.rand(n, c, side, side, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_p_zero_is_the_identity_and_draws_nothing():
    x = images()
    torch.manual_seed(1)
    before = torch.get_rng_state()
    assert augment(x, 0.0, list(ADA_GROUPS)) is x
    assert torch.equal(torch.get_rng_state(), before)


def test_xflip_at_p_one_flips_exactly_half_the_time_in_expectation():
    torch.manual_seed(0)
    x = images(n=400, side=8)
    y = augment(x, 1.0, ["xflip"])
    same = (y == x).flatten(1).all(1)
    flipped = (y == x.flip(3)).flatten(1).all(1)
    assert torch.all(same | flipped)  # every image exactly itself or exactly its mirror
    assert 150 < int(flipped.sum()) < 250  # the paper's i ~ U{0, 1}: a flip or none, equally likely


def test_rotate90_gives_the_four_quarter_turns_exactly():
    torch.manual_seed(0)
    x = images(n=200, side=8)
    y = augment(x, 1.0, ["rotate90"])
    turns = torch.stack([(y == torch.rot90(x, k, dims=(2, 3))).flatten(1).all(1) for k in range(4)])  # [4, n]
    assert torch.all(turns.any(0))
    assert turns.sum(1).min() > 25  # every k drawn


def test_integer_translation_shifts_a_dot_by_whole_pixels_up_to_an_eighth():
    torch.manual_seed(0)
    x = torch.zeros(300, 1, 32, 32)
    x[:, 0, 16, 16] = 1.0
    y = augment(x, 1.0, ["xint"])
    assert torch.equal(y.sum((1, 2, 3)), torch.ones(300))  # whole pixels: the dot moves, intact
    pos = y[:, 0].flatten(1).argmax(1)
    dy, dx = pos // 32 - 16, pos % 32 - 16
    assert dx.abs().max() == 4 and dy.abs().max() == 4  # round(0.125 x 32)
    assert (dx != 0).float().mean() > 0.5


def test_mirrored_index_repeats_the_edge():
    assert mirrored_index(torch.arange(-3, 8), 5).tolist() == [2, 1, 0, 0, 1, 2, 3, 4, 4, 3, 2]


@pytest.mark.parametrize("group", ADA_GROUPS)
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_each_group_keeps_the_shape_and_sane_values(group, channels):
    torch.manual_seed(0)
    x = images(n=32, c=channels)
    y = augment(x, 1.0, [group])
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    if group in GEOMETRIC:  # moves and interpolates pixels: within each image's own range
        lo, hi = x.amin((1, 2, 3), keepdim=True), x.amax((1, 2, 3), keepdim=True)
        assert torch.all(y >= lo - 1e-5) and torch.all(y <= hi + 1e-5)
    else:  # colour: an affine map of bounded strength (contrast 2^N(0, 0.5^2), saturation 2^N(0, 1))
        assert y.abs().max() < 60
    if channels in (2, 4) and group in COLOUR_GROUPS:
        assert torch.equal(y[:, -1], x[:, -1])  # alpha kept


@pytest.mark.parametrize("group", GEOMETRIC)
def test_geometry_of_a_constant_image_is_that_constant(group):
    torch.manual_seed(0)
    x = torch.full((16, 3, 16, 16), 0.37)
    assert torch.allclose(augment(x, 1.0, [group]), x, atol=1e-5)  # the border mirrored in, never zeros


def test_general_geometry_leaves_unchosen_images_exactly_alone():
    torch.manual_seed(0)
    x = images(n=200)
    y = augment(x, 0.2, list(GENERAL_GROUPS))
    untouched = (y == x).flatten(1).all(1)
    assert 0.2 < untouched.float().mean() < 0.7  # 1 - 0.8^4 of them moved (rotate counts once, in expectation)


def test_the_generator_learns_through_every_group():
    torch.manual_seed(0)
    G = torch.nn.Linear(4, 3 * 8 * 8)
    fake = torch.tanh(G(torch.randn(16, 4))).view(16, 3, 8, 8)
    augment(fake, 1.0, list(ADA_GROUPS)).square().mean().backward()
    assert G.weight.grad is not None and G.weight.grad.abs().sum() > 0
    for group in ADA_GROUPS:  # each group on its own passes a gradient too
        x = images(n=8, side=8).requires_grad_(True)
        augment(x, 1.0, [group]).sum().backward()
        assert x.grad.abs().sum() > 0, group


def test_flips_and_quarter_turns_together_give_the_eight_symmetries_of_the_square():
    torch.manual_seed(0)
    x = images(n=400, side=8)
    y = augment(x, 1.0, ["xflip", "rotate90"])
    symmetries = [torch.rot90(x, k, dims=(2, 3)) for k in range(4)] + [torch.rot90(x.flip(3), k, dims=(2, 3))
                                                                        for k in range(4)]
    matches = torch.stack([(y == s).flatten(1).all(1) for s in symmetries])  # [8, n]
    assert torch.all(matches.any(0)) and matches.sum(1).min() > 20  # each image one of them, all eight drawn
