import torch

from gankit.metrics.kid import kid_of_features


def test_two_halves_of_one_set_have_kid_near_zero():
    x = torch.randn(3000, 16, generator=torch.Generator().manual_seed(0))
    same = kid_of_features(x[:1500], x[1500:], subsets=30)
    shifted = kid_of_features(x[:1500], x[1500:] + 0.5, subsets=30)
    assert abs(same["kid"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid"] > 10 * max(abs(same["kid"]), same["kid_std"])


def test_subset_size_follows_the_convention_and_is_recorded():
    x = torch.randn(1200, 4, generator=torch.Generator().manual_seed(1))
    big = kid_of_features(x[:1100], x[100:] + 0.1, subsets=5)
    small = kid_of_features(x[:797], x[400:1197], subsets=5)
    assert big["kid_subset_size"] == 1000 and small["kid_subset_size"] == 398
    assert big["kid_subsets"] == small["kid_subsets"] == 5
