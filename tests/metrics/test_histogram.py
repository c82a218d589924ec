"""Plug-in and Miller-Madow KL to uniform on known histograms."""
import math

import torch

from gankit.metrics.histogram import kl_to_uniform, miller_madow_kl_to_uniform


def test_known_histogram():
    counts = torch.tensor([5, 3, 2, 0])  # N = 10, m = 3 bins with a count, K = 4
    p = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    plug_in = float((p * (p * 4).log()).sum())
    assert abs(kl_to_uniform(counts) - plug_in) < 1e-12
    assert abs(miller_madow_kl_to_uniform(counts) - (plug_in - 2 / 20)) < 1e-12
    assert abs(kl_to_uniform(torch.tensor([7, 0, 0, 0])) - math.log(4)) < 1e-12


def test_correction_removes_the_finite_sample_bias_of_uniform_draws():
    """10,000 uniform draws over 1,000 bins: plug-in ~ (K - 1) / 2N = 0.04995, corrected ~ 0."""
    g = torch.Generator().manual_seed(0)
    plug, corrected = [], []
    for _ in range(20):
        counts = torch.bincount(torch.randint(0, 1000, (10000,), generator=g), minlength=1000)
        plug.append(kl_to_uniform(counts))
        corrected.append(miller_madow_kl_to_uniform(counts))
    assert abs(sum(plug) / 20 - 0.04995) < 0.003
    assert abs(sum(corrected) / 20) < 0.003
