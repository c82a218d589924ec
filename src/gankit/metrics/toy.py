"""Toy metrics for mixtures of Gaussians (VEEGAN / PacGAN definitions, docs/benchmarks.md section 2)."""
from __future__ import annotations

import math

import torch

HQ_STD = 3.0  # a sample within 3 stds of its nearest mode is high quality


def toy_metrics(samples: torch.Tensor, means: torch.Tensor, std: float) -> dict[str, float]:
    """modes covered (>= 1 HQ sample), HQ share, reverse KL(p || uniform) of HQ samples over modes."""
    samples, means = samples.double(), means.double()
    dist = torch.cdist(samples, means)  # [N, K]
    d, nearest = dist.min(dim=1)
    hq = d / std < HQ_STD
    k = len(means)
    counts = torch.bincount(nearest[hq], minlength=k).double()
    if counts.sum() == 0:
        reverse_kl = math.log(k)
    else:
        p = counts / counts.sum()
        nz = p > 0
        reverse_kl = float((p[nz] * (p[nz] * k).log()).sum())
    return {"modes": int((counts > 0).sum()), "hq": float(hq.double().mean()), "reverse_kl": reverse_kl}
