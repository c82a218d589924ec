"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) of feature
sets, with distances computed in row chunks so that 50k x 50k never sits in memory at once.

Each metric follows its authors' code on the edge of a ball, which matters when features tie (repeated
images, a generator that copies): precision / recall count a point at exactly the k-th neighbour distance
as inside (`<=`, kynkaat/improved-precision-and-recall-metric); density / coverage do not (`<`,
clovaai/generative-evaluation-prdc), so identical sets give density 1 rather than (k + 1) / k."""
from __future__ import annotations

import torch

from ..errors import DataError

CHUNK = 2048  # rows per distance block: 2048 x 50k float64 is 800 MB at most


def kth_neighbour_radii(x: torch.Tensor, k: int, chunk: int = CHUNK) -> torch.Tensor:
    """Distance from each row of x [N, d] to its k-th nearest other row [N] (the row itself excluded)."""
    if len(x) <= k:
        raise DataError(f"k-NN radii with k = {k} need more than {k} feature rows; got {len(x)}")
    x = x.double()
    out = []
    for start in range(0, len(x), chunk):
        d = torch.cdist(x[start : start + chunk], x)  # [c, N]
        out.append(d.topk(k + 1, dim=1, largest=False).values[:, k])  # index 0 is the row itself
    return torch.cat(out)


def _ball_counts(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int,
                 closed: bool) -> torch.Tensor:
    """For each query row: how many balls (centre, radius) contain it [Nq]; closed balls count the edge.
    Distances run centre by row, as in the radii, so that a query identical to a centre's neighbour
    sits at exactly that radius (cdist's matmul path is not symmetric to the last bit)."""
    counts = torch.zeros(len(queries), dtype=torch.long, device=queries.device)
    for start in range(0, len(centres), chunk):
        d = torch.cdist(centres[start : start + chunk], queries)  # [c, Nq]
        r = radii[start : start + chunk, None]
        counts += (d <= r if closed else d < r).sum(0)
    return counts


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3, chunk: int = CHUNK) -> dict[str, float]:
    """Precision: share of fakes inside some real k-NN ball; recall: share of reals inside some fake ball.
    Closed balls (a point on the edge is inside), as in Kynkäänniemi et al.'s code."""
    real, fake = real.double(), fake.double()
    precision = _ball_counts(fake, real, kth_neighbour_radii(real, k, chunk), chunk, closed=True) > 0
    recall = _ball_counts(real, fake, kth_neighbour_radii(fake, k, chunk), chunk, closed=True) > 0
    return {"precision": float(precision.double().mean()), "recall": float(recall.double().mean())}


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5, chunk: int = CHUNK) -> dict[str, float]:
    """Density: real k-NN balls containing each fake, summed, over k * M; coverage: share of real balls
    that contain at least one fake (its centre's nearest fake lies within its radius). Open balls (a point
    on the edge is outside), as in Naeem et al.'s code."""
    real, fake = real.double(), fake.double()
    radii = kth_neighbour_radii(real, k, chunk)
    density = _ball_counts(fake, real, radii, chunk, closed=False).sum().double() / (k * len(fake))
    nearest_fake = torch.cat([torch.cdist(real[s : s + chunk], fake).min(1).values
                              for s in range(0, len(real), chunk)])
    return {"density": float(density), "coverage": float((nearest_fake < radii).double().mean())}
