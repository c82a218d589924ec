import torch

from gankit.metrics.kid import kid_of_features


def test_two_halves_of_one_set_have_kid_near_zero():
    x = torch.randn(2000, 16, generator=torch.Generator().manual_seed(0))
    same = kid_of_features(x[:1000], x[1000:])
    shifted = kid_of_features(x[:1000], x[1000:] + 0.5)
    assert abs(same["kid"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid"] > 10 * max(abs(same["kid"]), same["kid_std"])
