"""Precision / recall / density / coverage against a brute-force reference written from the definitions."""
import numpy as np
import pytest
import torch

from gankit.errors import DataError
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
    density = sum(d_rf[j, i] < r_dc[j] for i in range(len(fake)) for j in range(len(real))) / (k_dc * len(fake))
    coverage = np.mean([d_rf[j].min() < r_dc[j] for j in range(len(real))])
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


def reference_prdc(real, fake, k):
    """A transcription of the reference formulas in numpy: radii = the (k + 1)-th smallest distance of each
    row to its own set (itself included); P / R with `<=` (kynkaat/improved-precision-and-recall-metric),
    density / coverage with `<` (clovaai/generative-evaluation-prdc, compute_prdc)."""
    def dist(a, b):
        return np.sqrt(np.maximum((a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None], 0))

    def radii(x):
        return np.partition(dist(x, x), k, axis=1)[:, k]

    d_rf, r_real, r_fake = dist(real, fake), radii(real), radii(fake)
    return {"precision": (d_rf <= r_real[:, None]).any(0).mean(), "recall": (d_rf <= r_fake[None]).any(1).mean(),
            "density": (d_rf < r_real[:, None]).sum(0).mean() / k, "coverage": (d_rf.min(1) < r_real).mean()}


@pytest.mark.parametrize("case", ["identical", "repeated", "integer"])
def test_ties_follow_the_reference_code(case):
    rng = np.random.RandomState(1)
    base = rng.randn(50, 4)
    real, fake = {
        "identical": (base, base),
        "repeated": (np.repeat(base, 4, axis=0), np.repeat(base[:25] + 0.3 * rng.randn(25, 4), 4, axis=0)),
        "integer": (rng.randint(0, 3, (120, 3)).astype(float), rng.randint(0, 4, (90, 3)).astype(float)),
    }[case]
    k = 5
    want = reference_prdc(real, fake, k)
    got = precision_recall(torch.tensor(real), torch.tensor(fake), k=k) | density_coverage(
        torch.tensor(real), torch.tensor(fake), k=k)
    for key in want:
        assert abs(got[key] - want[key]) <= 1e-9, (key, got[key], want[key])


def test_identical_continuous_sets_have_density_one():
    x = torch.randn(300, 6, generator=torch.Generator().manual_seed(4))
    assert density_coverage(x, x)["density"] == 1.0  # k balls of k + 1 points each hold k of them strictly


def test_too_few_rows_for_k_is_a_data_error():
    with pytest.raises(DataError, match="k = 5 need more than 5"):
        density_coverage(torch.randn(5, 3), torch.randn(10, 3), k=5)
    with pytest.raises(DataError, match="k = 3"):
        precision_recall(torch.randn(10, 3), torch.randn(2, 3), k=3)
