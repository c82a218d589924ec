"""Denoiser networks F(x, c_noise): data x [N, *shape] and a noise level c_noise [N] -> [N, *shape], the raw
network that EDM's preconditioning wraps (Karras et al. 2022, eq. 7; docs/algorithms.md section 20). An MLP for
vectors, a small U-Net for images of any channel count; both read the noise level through a Fourier embedding."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..data import DataSpec
from ..errors import ConfigError
from .registry import DENOISERS


class FourierEmbedding(nn.Module):
    """c [N] -> [cos(2 pi c b), sin(2 pi c b)] [N, 2 * frequencies], b ~ N(0, scale^2) fixed at construction
    (random Fourier features, Tancik et al. 2020; EDM's NCSN++ embedding of c_noise)."""

    def __init__(self, frequencies: int, scale: float):
        super().__init__()
        self.register_buffer("b", torch.randn(frequencies) * scale)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        angles = 2 * math.pi * c.reshape(-1, 1).to(self.b.dtype) * self.b  # [N, frequencies]
        return torch.cat([angles.cos(), angles.sin()], dim=1)


def noise_embedding(frequencies: int, scale: float, width: int) -> nn.Sequential:
    """c_noise [N] -> [N, width]: the Fourier features through a two-layer SiLU MLP."""
    return nn.Sequential(FourierEmbedding(frequencies, scale), nn.Linear(2 * frequencies, width), nn.SiLU(),
                         nn.Linear(width, width))


@DENOISERS.register("mlp")
class MLPDenoiser(nn.Module):
    """x (flattened) through `depth` SiLU layers of `hidden` units, the noise embedding added to every layer's
    input, -> [N, *shape] (vectors, or images flattened)."""

    def __init__(self, spec: DataSpec, z_dim: int, hidden: int = 256, depth: int = 4, frequencies: int = 32,
                 scale: float = 4.0):
        super().__init__()
        if depth < 1:
            raise ConfigError(f"model denoiser depth must be >= 1, got {depth}")
        self.shape = spec.shape
        self.embed = noise_embedding(frequencies, scale, hidden)
        self.inputs = nn.Linear(spec.dim, hidden)
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth - 1))
        self.conditions = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth - 1))
        self.outputs = nn.Linear(hidden, spec.dim)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        emb = self.embed(c_noise)
        h = self.act(self.inputs(x.flatten(1)) + emb)
        for layer, condition in zip(self.layers, self.conditions):
            h = self.act(layer(h) + condition(emb))
        return self.outputs(h).view(len(x), *self.shape)


def groups(channels: int) -> int:
    """The GroupNorm group count: 8 where it divides the channels, else 1 (layer norm over the map)."""
    return 8 if channels % 8 == 0 else 1


class ResidualBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the noise embedding added between them, and a 1x1 skip (DDPM / EDM's block)."""

    def __init__(self, c_in: int, c_out: int, emb_width: int):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups(c_in), c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_width, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups(c_out), c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x))) + self.emb(emb)[:, :, None, None]
        h = self.conv2(self.act(self.norm2(h)))
        return self.skip(x) + h


@DENOISERS.register("unet")
class UNetDenoiser(nn.Module):
    """A small U-Net for images [N, C, H, W] of any channel count: a residual block per level at width
    `width` * 2^level, average-pool down while the side stays even and >= 4 (at most `levels` times), nearest
    up, skips concatenated; the noise embedding enters every block."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 64, levels: int = 2, frequencies: int = 32,
                 scale: float = 4.0):
        super().__init__()
        if not spec.is_image:
            raise ConfigError(f"model denoiser unet takes images [C, H, W]; data {spec.name} has shape "
                              f"{list(spec.shape)} (use mlp)")
        side, self.levels = spec.resolution, 0
        while self.levels < levels and side % 2 == 0 and side >= 8:
            side, self.levels = side // 2, self.levels + 1
        emb_width = 4 * width
        widths = [width * 2**i for i in range(self.levels + 1)]
        self.embed = noise_embedding(frequencies, scale, emb_width)
        self.stem = nn.Conv2d(spec.channels, width, 3, padding=1)
        self.down = nn.ModuleList(ResidualBlock(widths[max(i - 1, 0)], widths[i], emb_width)
                                  for i in range(self.levels + 1))
        self.middle = ResidualBlock(widths[-1], widths[-1], emb_width)
        self.up = nn.ModuleList(ResidualBlock(2 * widths[i], widths[max(i - 1, 0)], emb_width)
                                for i in reversed(range(self.levels + 1)))
        self.head = nn.Sequential(nn.GroupNorm(groups(width), width), nn.SiLU(),
                                  nn.Conv2d(width, spec.channels, 3, padding=1))

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        emb = self.embed(c_noise)
        h, skips = self.stem(x), []
        for i, block in enumerate(self.down):
            h = block(nn.functional.avg_pool2d(h, 2) if i else h, emb)
            skips.append(h)
        h = self.middle(h, emb)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if i < self.levels:
                h = nn.functional.interpolate(h, scale_factor=2, mode="nearest")
        return self.head(h)
