"""KL divergence of a histogram to the uniform distribution over its bins: plug-in and bias-corrected."""
from __future__ import annotations

import torch


def kl_to_uniform(counts: torch.Tensor) -> float:
    """Plug-in KL(p || uniform over K bins) = ln K - H(p) with p = counts / N. For N uniform draws its
    expectation is about (K - 1) / 2N (0.04995 for K = 1,000, N = 10,000), not 0."""
    p = counts.double() / counts.sum()
    nz = p > 0
    return float((p[nz] * (p[nz] * len(counts)).log()).sum())


def miller_madow_kl_to_uniform(counts: torch.Tensor) -> float:
    """ln K - H_MM with Miller-Madow's entropy H_MM = H(p) + (m - 1) / 2N, m the bins with a count (Miller
    1955): the plug-in KL minus (m - 1) / 2N, about 0 in expectation for uniform draws, and possibly
    slightly negative."""
    n, m = float(counts.sum()), int((counts > 0).sum())
    return kl_to_uniform(counts) - (m - 1) / (2.0 * n)
