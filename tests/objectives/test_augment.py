"""DiffAugment: each transform's invariant, gradients through it, the critic hook, and exact resume with it."""
import pytest
import torch

from gankit.errors import ConfigError
from gankit.objectives.augment import attach_diffaugment, color, cutout, diffaugment, parse_policy, translation

from ..conftest import TINY_DIGITS, tiny
from ..training.test_trainer import assert_bit_identical, full_state, make_trainer


def test_translation_moves_a_dot_by_at_most_an_eighth():
    torch.manual_seed(0)
    x = torch.zeros(64, 1, 16, 16)
    x[:, 0, 8, 8] = 1.0
    y = translation(x)
    assert y.shape == x.shape and torch.equal(y.sum((1, 2, 3)), torch.ones(64))  # 2-px shifts keep the dot
    pos = y[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 16, pos % 16
    assert (rows - 8).abs().max() == 2 and (cols - 8).abs().max() == 2 and len(set(rows.tolist())) == 5


def test_cutout_zeroes_at_most_a_quarter():
    torch.manual_seed(0)
    y = cutout(torch.ones(200, 3, 16, 16))
    zeroed = (y == 0).all(1).flatten(1).sum(1)
    assert zeroed.max() == 64 and zeroed.min() > 0  # an 8x8 square, clipped where it leaves the image
    assert torch.equal(y[:, 0], y[:, 2])  # every channel cut alike


def test_color_is_differentiable_and_random_per_sample():
    torch.manual_seed(0)
    x = torch.rand(8, 3, 8, 8, requires_grad=True)
    y = diffaugment(x, ["color", "translation", "cutout"])
    y.square().sum().backward()
    assert x.grad.abs().sum() > 0
    shifts = (color(torch.zeros(16, 1, 4, 4)))[:, 0, 0, 0]  # brightness only on a flat image
    assert shifts.abs().max() <= 0.75 and shifts.std() > 0.05


def test_hook_acts_in_training_mode_only_and_bad_policies_are_named():
    D = torch.nn.Flatten()
    attach_diffaugment(D, "cutout", is_image=True)
    x = torch.ones(4, 1, 8, 8)
    assert (D(x) == 0).any()
    D.eval()
    assert torch.equal(D(x), x.flatten(1))
    with pytest.raises(ConfigError, match="unknown augmentation 'colour'; choose from color, translation, cutout"):
        parse_policy("colour,cutout")
    with pytest.raises(ConfigError, match="gives vectors"):
        attach_diffaugment(torch.nn.Identity(), "color", is_image=False)


def test_augmented_training_resumes_bit_identically(tmp_path):
    policy = "augment=color,translation,cutout"
    straight = make_trainer(tiny(TINY_DIGITS, tmp_path, policy), tmp_path / "straight")
    straight.fit()
    first = make_trainer(tiny(TINY_DIGITS, tmp_path, policy, "train.steps=3"), tmp_path / "resumed")
    first.fit()
    second = make_trainer(tiny(TINY_DIGITS, tmp_path, policy), tmp_path / "resumed")
    second.resume()
    second.fit()
    assert_bit_identical(full_state(straight), full_state(second))
    plain = make_trainer(tiny(TINY_DIGITS, tmp_path), tmp_path / "plain")
    plain.fit()
    assert not torch.equal(full_state(plain)["net.G.project.weight"], full_state(straight)["net.G.project.weight"])
