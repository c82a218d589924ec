"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) of feature
sets, with distances computed in row chunks so that 50k x 50k never sits in memory at once."""
from __future__ import annotations

import torch

CHUNK = 2048  # rows per distance block: 2048 x 50k float64 is 800 MB at most


def kth_neighbour_radii(x: torch.Tensor, k: int, chunk: int = CHUNK) -> torch.Tensor:
    """Distance from each row of x [N, d] to its k-th nearest other row [N] (the row itself excluded)."""
    x = x.double()
    out = []
    for start in range(0, len(x), chunk):
        d = torch.cdist(x[start : start + chunk], x)  # [c, N]
        out.append(d.topk(k + 1, dim=1, largest=False).values[:, k])  # index 0 is the row itself
    return torch.cat(out)


def _ball_counts(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int) -> torch.Tensor:
    """For each query row: how many balls (centre, radius) contain it [Nq]."""
    out = []
    for start in range(0, len(queries), chunk):
        d = torch.cdist(queries[start : start + chunk], centres)  # [c, Nc]
        out.append((d <= radii[None]).sum(1))
    return torch.cat(out)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3, chunk: int = CHUNK) -> dict[str, float]:
    """Precision: share of fakes inside some real k-NN ball; recall: share of reals inside some fake ball."""
    real, fake = real.double(), fake.double()
    precision = _ball_counts(fake, real, kth_neighbour_radii(real, k, chunk), chunk) > 0
    recall = _ball_counts(real, fake, kth_neighbour_radii(fake, k, chunk), chunk) > 0
    return {"precision": float(precision.double().mean()), "recall": float(recall.double().mean())}


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5, chunk: int = CHUNK) -> dict[str, float]:
    """Density: real k-NN balls containing each fake, summed, over k * M; coverage: share of real balls
    that contain at least one fake (its centre's nearest fake lies within its radius)."""
    real, fake = real.double(), fake.double()
    radii = kth_neighbour_radii(real, k, chunk)
    density = _ball_counts(fake, real, radii, chunk).sum().double() / (k * len(fake))
    nearest_fake = torch.cat([torch.cdist(real[s : s + chunk], fake).min(1).values
                              for s in range(0, len(real), chunk)])
    return {"density": float(density), "coverage": float((nearest_fake <= radii).double().mean())}
