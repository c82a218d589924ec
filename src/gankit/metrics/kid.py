"""Kernel Inception Distance (Binkowski et al. 2018) of feature sets, computed by torchmetrics."""
from __future__ import annotations

import warnings

import torch
from torch import nn

KID_SUBSET_SIZE = 1000  # the default of Binkowski et al.'s code, torch-fidelity and torchmetrics
KID_SUBSETS = 100


def kid_subset_size(n: int) -> int:
    """The usual 1,000 where both sets have that many; below, half the smaller set, so that subsets differ
    and their spread means something (398 for 797 samples)."""
    return KID_SUBSET_SIZE if n >= KID_SUBSET_SIZE else max(2, n // 2)


def kid_of_features(real: torch.Tensor, fake: torch.Tensor, subsets: int = KID_SUBSETS, seed: int = 0) -> dict:
    """Mean and std over `subsets` random subsets of the unbiased polynomial-kernel MMD^2, with the subset
    size and count recorded next to them."""
    from torchmetrics.image.kid import KernelInceptionDistance

    size = kid_subset_size(min(len(real), len(fake)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "saves all features in a buffer": that is the point
        kid = KernelInceptionDistance(feature=nn.Identity(), subsets=subsets, subset_size=size)
    kid.update(real.double(), real=True)
    kid.update(fake.double(), real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the subsets are drawn with torch's global RNG
        mean, std = kid.compute()
    return {"kid": float(mean), "kid_std": float(std), "kid_subset_size": size, "kid_subsets": subsets}
