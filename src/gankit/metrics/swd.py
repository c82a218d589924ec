"""Sliced Wasserstein distance between 7x7 patches of the Laplacian pyramids of two image sets (Karras et
al. 2018, section 5 and appendix D): no pretrained network, any channel count, any resolution >= 8."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PATCH = 7                  # neighbourhood side
PATCHES_PER_IMAGE = 128    # ProGAN's count, lowered when the set is large (MAX_PATCHES)
MAX_PATCHES = 1 << 15      # descriptors per level and set: bounds the cost of an evaluation during training
REPEATS, DIRECTIONS = 4, 128  # 4 x 128 = 512 random unit directions
MIN_LEVEL_RES = 16         # pyramid levels down to 16 px, as ProGAN (smaller images: one level)
BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0  # the 5x5 Gaussian of cv2.pyrDown is its outer square


def _blur(x: torch.Tensor, gain: float = 1.0, stride: int = 1) -> torch.Tensor:
    """5x5 binomial filter per channel with mirror borders (scipy 'mirror' = torch 'reflect'), separable, as
    sums of 5 shifted slices (a 1-channel conv is ~10x slower on a CPU); stride 2 keeps the even rows and
    columns only."""
    k = (BINOMIAL * gain ** 0.5).tolist()
    h_out, w_out = -(-x.shape[-2] // stride), -(-x.shape[-1] // stride)
    y = F.pad(x, (2, 2, 2, 2), mode="reflect")
    y = sum(k[i] * y[:, :, i : i + stride * (h_out - 1) + 1 : stride, :] for i in range(5))
    return sum(k[i] * y[:, :, :, i : i + stride * (w_out - 1) + 1 : stride] for i in range(5))


def pyr_down(x: torch.Tensor) -> torch.Tensor:
    return _blur(x, stride=2)


def pyr_up(x: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    return _blur(up, gain=4.0)


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """[band-pass at full res, ..., low-pass at res / 2^(levels-1)]; summing back with pyr_up restores x."""
    pyramid = [x]
    for _ in range(1, levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1])
    return pyramid


def pyramid_levels(resolution: int) -> int:
    levels, res = 0, resolution
    while res >= MIN_LEVEL_RES:
        levels, res = levels + 1, res // 2
    return max(levels, 1)


def patch_descriptors(level: torch.Tensor, per_image: int, generator: torch.Generator) -> torch.Tensor:
    """per_image random 7x7 patches of every image, each channel normalised to zero mean and unit std over
    the whole set, flattened: [N * per_image, C * 49]."""
    n, c, h, w = level.shape
    half = PATCH // 2
    ys = torch.randint(half, h - half, (n, per_image), generator=generator)
    xs = torch.randint(half, w - half, (n, per_image), generator=generator)
    offsets = torch.arange(-half, half + 1)
    rows = (ys[..., None] + offsets)[..., :, None]   # [n, p, 7, 1]
    cols = (xs[..., None] + offsets)[..., None, :]   # [n, p, 1, 7]
    img = torch.arange(n)[:, None, None, None]
    patches = level.permute(0, 2, 3, 1)[img, rows, cols]  # [n, p, 7, 7, C]
    patches = patches.reshape(-1, PATCH, PATCH, c).double()
    patches = (patches - patches.mean((0, 1, 2))) / patches.std((0, 1, 2)).clamp(min=1e-8)
    return patches.permute(0, 3, 1, 2).reshape(len(patches), -1)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, generator: torch.Generator) -> float:
    """Mean over 512 random unit directions of the 1-D Wasserstein-1 distance of the projections."""
    out = []
    for _ in range(REPEATS):
        dirs = torch.randn(a.shape[1], DIRECTIONS, generator=generator, dtype=torch.float64)
        dirs = (dirs / dirs.norm(dim=0, keepdim=True)).float()
        # numpy sorts contiguous float32 rows ~20x faster than torch sorts columns on one CPU core
        pa, pb = (np.sort((d.float() @ dirs).T.contiguous().numpy(), axis=1) for d in (a, b))
        out.append(float(np.abs(pa.astype(np.float64) - pb).mean()))
    return sum(out) / len(out)


def to_pixels(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> rounded 0..255 floats, the 8-bit images ProGAN measured."""
    return ((x.float().clamp(-1, 1) + 1) * 127.5).round()


def swd(real: torch.Tensor, fake: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """SWD x 1e3 per pyramid level (key: its resolution) and their mean ('avg'), on equally many images."""
    n = min(len(real), len(fake))
    if real.shape[1:] != fake.shape[1:] or real.shape[-1] < 8:
        raise ValueError(f"swd needs two image sets of one shape, >= 8 px; got {list(real.shape)} and {list(fake.shape)}")
    per_image = max(1, min(PATCHES_PER_IMAGE, MAX_PATCHES // n))
    levels = pyramid_levels(real.shape[-1])
    gen = torch.Generator().manual_seed(seed)
    pyr_real = laplacian_pyramid(to_pixels(real[:n]), levels)
    pyr_fake = laplacian_pyramid(to_pixels(fake[:n]), levels)
    out = {}
    for lr, lf in zip(pyr_real, pyr_fake):
        if lr.shape[-1] < PATCH:
            break
        a, b = patch_descriptors(lr, per_image, gen), patch_descriptors(lf, per_image, gen)
        out[f"{lr.shape[-1]}px"] = 1e3 * sliced_wasserstein(a, b, gen)
    return {"avg": sum(out.values()) / len(out), **out}
