import numpy as np
import scipy.linalg
import torch

from gankit.metrics.fid import fd_of_features, frechet_distance, gaussian_stats


def test_closed_form_shifted_identity_gaussians():
    mu = torch.tensor([1.0, -2.0, 0.5])
    eye = torch.eye(3, dtype=torch.float64)
    assert abs(frechet_distance(torch.zeros(3), eye, mu, eye) - float(mu @ mu)) < 1e-10


def test_sampled_gaussians_approach_the_closed_form():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 4, generator=g)
    b = torch.randn(20000, 4, generator=g) + torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert abs(fd_of_features(a, b) - 2.0) < 0.05


def test_zero_on_a_set_against_itself():
    x = torch.randn(300, 16, generator=torch.Generator().manual_seed(1))
    assert abs(fd_of_features(x, x)) < 1e-8


def test_matches_scipy_sqrtm_on_non_commuting_covariances():
    rng = np.random.RandomState(0)
    a, b = rng.randn(5, 5), rng.randn(5, 5)
    s1, s2 = a @ a.T + 0.1 * np.eye(5), b @ b.T
    mu1, mu2 = rng.randn(5), rng.randn(5)
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    got = frechet_distance(*(torch.tensor(v) for v in (mu1, s1, mu2, s2)))
    assert abs(got - ref) < 1e-8


def test_stats_are_float64():
    mu, s = gaussian_stats(torch.randn(10, 3))
    assert mu.dtype == s.dtype == torch.float64 and s.shape == (3, 3)
