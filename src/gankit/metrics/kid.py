"""Kernel Inception Distance (Binkowski et al. 2018) of feature sets, computed by torchmetrics."""
from __future__ import annotations

import warnings

import torch
from torch import nn


def kid_of_features(real: torch.Tensor, fake: torch.Tensor, subsets: int = 100, seed: int = 0) -> dict[str, float]:
    """Mean and std over `subsets` random subsets of the unbiased polynomial-kernel MMD^2."""
    from torchmetrics.image.kid import KernelInceptionDistance

    size = max(2, min(len(real), len(fake), 2000) // 2)  # subsets must differ for the std to mean anything
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "saves all features in a buffer": that is the point
        kid = KernelInceptionDistance(feature=nn.Identity(), subsets=subsets, subset_size=size)
    kid.update(real.double(), real=True)
    kid.update(fake.double(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the subsets are drawn with torch's global RNG
        mean, std = kid.compute()
    return {"kid": float(mean), "kid_std": float(std)}
