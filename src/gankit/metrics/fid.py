"""Fréchet distance between Gaussians fitted to feature sets (Heusel et al. 2017), in float64."""
from __future__ import annotations

import torch


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean [d] and unbiased covariance [d, d] of features [N, d], in float64."""
    f = features.double()
    return f.mean(0), torch.cov(f.T).reshape(f.shape[1], f.shape[1])


def psd_sqrt(s: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a positive semi-definite matrix via its eigendecomposition."""
    vals, vecs = torch.linalg.eigh((s + s.T) / 2)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def frechet_distance(mu1: torch.Tensor, s1: torch.Tensor, mu2: torch.Tensor, s2: torch.Tensor) -> float:
    """|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2). Tr (S1 S2)^1/2 is the sum of the square roots of the
    eigenvalues of S1^1/2 S2 S1^1/2, which is symmetric PSD: no complex parts, stable for singular S."""
    mu1, s1, mu2, s2 = (t.double() for t in (mu1, s1, mu2, s2))
    root1 = psd_sqrt(s1)
    m = root1 @ s2 @ root1
    trace_sqrt = torch.linalg.eigvalsh((m + m.T) / 2).clamp(min=0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + s1.trace() + s2.trace() - 2 * trace_sqrt)


def fd_of_features(real: torch.Tensor, fake: torch.Tensor) -> float:
    return frechet_distance(*gaussian_stats(real), *gaussian_stats(fake))
