"""The T3 ladder (docs/benchmarks.md section 10): reference image sets scored like a generator on the emoji data,
so a trained model's FD / KID / SWD can be read against them. Each rung is (fake, real): n images each,
drawn with one seed from the 32x32 RGB datasets that `make emoji` builds."""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

BLUR_SIGMA = 1.0  # pixels at 32x32


def _draw(x: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]]


def gaussian_in_pixels(x: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n draws from one Gaussian with the images' mean and full pixel covariance C = Xc^T Xc / (N - 1), clipped
    to [-1, 1]: mean + Xc^T w / sqrt(N - 1) with w ~ N(0, I_N) has exactly that covariance, without factoring
    the d x d matrix."""
    flat = x.flatten(1).double()
    centred = flat - flat.mean(0)
    w = torch.randn(n, len(flat), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    drawn = flat.mean(0) + w @ centred / (len(flat) - 1) ** 0.5
    return drawn.float().clamp(-1, 1).reshape(n, *x.shape[1:])


def blurred(x: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """A separable Gaussian blur (radius 3 sigma, edges replicated)."""
    radius = int(np.ceil(3 * sigma))
    taps = torch.exp(-torch.arange(-radius, radius + 1, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
    taps = (taps / taps.sum()).to(x.dtype)
    c = x.shape[1]
    x = F.pad(x, (radius,) * 4, mode="replicate")
    x = F.conv2d(x, taps.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, taps.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def rungs(both: torch.Tensor, google: torch.Tensor, twitter: torch.Tensor, n: int, seed: int) -> dict:
    """name -> (fake, real), best first. The training-set rungs use the same n reference images; the vendor
    rungs compare the vendors' own images (the halves split one draw of Google's in two)."""
    order = torch.randperm(len(both), generator=torch.Generator().manual_seed(seed))
    reference, other = both[order[:n]], both[order[n : 2 * n]]
    g = _draw(google, n, seed + 1)
    half = len(g) // 2
    return {
        f"another {n} training images": (other, reference),
        "two halves of the Google images": (g[:half], g[half : 2 * half]),
        "Google against Twitter": (g, _draw(twitter, n, seed + 2)),
        f"training images blurred (sigma {BLUR_SIGMA:g} px)": (blurred(other), reference),
        "one Gaussian fitted to the pixels": (gaussian_in_pixels(both, n, seed + 3), reference),
        "uniform noise": (torch.rand(n, *both.shape[1:], generator=torch.Generator().manual_seed(seed + 4)) * 2 - 1,
                          reference),
    }


def ladder_rows(n: int, seed: int, inception: bool, weights: str | None = None, precision: str = "fp32"):
    """Yields (rung, values) as each is measured: SWD (and Inception FD / KID / PR / DC) with the seconds it
    took here; features of these fixed sets are cached by content, so a rerun reads them back."""
    from ..data import load_dataset
    from .image_sets import score_sets

    both, google, twitter = (load_dataset(name).x for name in ("emoji", "emoji-google", "emoji-twitter"))
    for name, (fake, real) in rungs(both, google, twitter, n, seed).items():
        start = time.perf_counter()
        row = score_sets(fake, real, inception, weights, cache_fake=True, precision=precision)
        row["seconds"] = time.perf_counter() - start
        row["images"] = len(fake) + len(real)
        yield name, row
