"""Precision / recall / density / coverage against a brute-force reference written from the definitions."""
import numpy as np
import pytest
import torch

from gankit.metrics.prdc import density_coverage, precision_recall


def brute_force(real, fake, k_pr=3, k_dc=5):
    def dist(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    def radii(x, k):
        d = dist(x, x)
        return np.array([sorted(row)[k] for row in d])  # sorted(row)[0] is the point itself

    d_rf = dist(real, fake)  # [R, F]
    r_pr, f_pr, r_dc = radii(real, k_pr), radii(fake, k_pr), radii(real, k_dc)
    precision = np.mean([any(d_rf[j, i] <= r_pr[j] for j in range(len(real))) for i in range(len(fake))])
    recall = np.mean([any(d_rf[j, i] <= f_pr[i] for i in range(len(fake))) for j in range(len(real))])
    density = sum(d_rf[j, i] <= r_dc[j] for i in range(len(fake)) for j in range(len(real))) / (k_dc * len(fake))
    coverage = np.mean([d_rf[j].min() <= r_dc[j] for j in range(len(real))])
    return precision, recall, density, coverage


@pytest.mark.parametrize("chunk", [7, 4096])
def test_against_brute_force(chunk):
    rng = np.random.RandomState(0)
    real, fake = rng.randn(60, 5), rng.randn(45, 5) * 1.3 + 0.4
    p, r, d, c = brute_force(real, fake)
    pr = precision_recall(torch.tensor(real), torch.tensor(fake), k=3, chunk=chunk)
    dc = density_coverage(torch.tensor(real), torch.tensor(fake), k=5, chunk=chunk)
    for got, want in [(pr["precision"], p), (pr["recall"], r), (dc["density"], d), (dc["coverage"], c)]:
        assert abs(got - want) <= 1e-9


def test_identical_sets_are_perfect():
    x = torch.randn(200, 8, generator=torch.Generator().manual_seed(2))
    pr, dc = precision_recall(x, x), density_coverage(x, x)
    assert pr["precision"] == pr["recall"] == dc["coverage"] == 1.0


def test_disjoint_sets_score_zero():
    a = torch.randn(100, 3)
    pr, dc = precision_recall(a, a + 100), density_coverage(a, a + 100)
    assert pr == {"precision": 0.0, "recall": 0.0} and dc == {"density": 0.0, "coverage": 0.0}
