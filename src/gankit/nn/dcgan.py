"""DCGAN generator and discriminator (Radford et al. 2015) for any power-of-two resolution 8..1024
and any channel count, in the layout of Su's reference scripts (start at 4x4, halve channels per upsample)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..data import DataSpec
from ..errors import ConfigError, ResolutionError
from .activations import LeakyReLU, ReLU
from .blocks import NORMS_2D, choose, dcgan_init
from .conditional import ConditionalBatchNorm, LabelledCritic, class_count, split_class
from .registry import DISCRIMINATORS, GENERATORS

MIN_RES, MAX_RES, START = 8, 1024, 4


def num_doublings(spec: DataSpec, network: str) -> int:
    """log2(resolution / 4), after checking the data is a square power-of-two image."""
    if not spec.is_image:
        raise ConfigError(f"network {network} needs image data; dataset {spec.name} gives vectors of shape {list(spec.shape)}")
    res = spec.resolution
    if res < MIN_RES or res > MAX_RES or res & (res - 1):
        fits = min(MAX_RES, max(MIN_RES, 1 << (res - 1).bit_length()))  # the next power of two, within range
        raise ResolutionError(f"network {network}: resolution {res} is not a power of two from {MIN_RES} to {MAX_RES} "
                              "(set data.resolution)", res, fits)
    return int(math.log2(res // START))


def same_padding(kernel_size: int) -> tuple[int, int]:
    """(padding, output_padding) so that a stride-2 (transposed) conv exactly halves (doubles) the size."""
    if kernel_size not in (3, 4, 5):
        raise ConfigError(f"kernel_size {kernel_size}: choose 3, 4 or 5")
    return (1, 0) if kernel_size == 4 else (kernel_size // 2, 1)


def upsample_conv(c_in: int, c_out: int, kernel_size: int, upsample: str, bias: bool) -> nn.Module:
    """x2 upsampling: a transposed conv, or nearest-neighbour + 3x3 conv (no checkerboard artifacts)."""
    if upsample == "convtranspose":
        pad, out_pad = same_padding(kernel_size)
        return nn.ConvTranspose2d(c_in, c_out, kernel_size, 2, pad, out_pad, bias=bias)
    if upsample == "nearest":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias))
    raise ConfigError(f"unknown upsample {upsample!r}; choose convtranspose or nearest")


class SelfModulatedBatchNorm(nn.Module):
    """BatchNorm without affine parameters, then x (1 + gamma(z)) + beta(z), gamma and beta each a 2-layer MLP
    of z with z_dim hidden units (SELF-MOD, Chen et al. 2018, with the residual scale of Su's O-GAN code)."""

    def __init__(self, channels: int, z_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Sequential(nn.Linear(z_dim, z_dim), ReLU(), nn.Linear(z_dim, channels))
        self.beta = nn.Sequential(nn.Linear(z_dim, z_dim), ReLU(), nn.Linear(z_dim, channels))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        scale, shift = self.gamma(z)[:, :, None, None], self.beta(z)[:, :, None, None]
        return self.norm(x) * (1.0 + scale) + shift


@GENERATORS.register("dcgan")
class DCGANGenerator(nn.Module):
    """z [N, z_dim] -> Linear to [N, width, 4, 4] -> (upsample, norm, ReLU) x n -> [N, C, R, R], tanh.
    self_mod=True replaces each BatchNorm by a self-modulated one whose scale and shift come from z;
    conditional=True by a class-conditional one, the class index riding in z's last column ([N, z_dim + 1])."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 256, kernel_size: int = 4,
                 upsample: str = "convtranspose", norm: str = "batch", self_mod: bool = False,
                 conditional: bool = False):
        super().__init__()
        n = num_doublings(spec, "dcgan")
        if (self_mod or conditional) and norm != "batch":
            raise ConfigError(f"self_mod modulates BatchNorm, as does conditional: they need norm batch, not {norm!r}")
        if self_mod and conditional:
            raise ConfigError("dcgan generator: choose one of self_mod and conditional")
        self.num_classes = class_count(spec, "model.G") if conditional else 0
        if conditional:
            make_norm = lambda c: ConditionalBatchNorm(c, self.num_classes)  # noqa: E731
        else:
            make_norm = (lambda c: SelfModulatedBatchNorm(c, z_dim)) if self_mod else choose(NORMS_2D, norm, "norm")
        self.width = width
        # conditional: the one-hot class also enters the first layer (Mirza & Osindero 2014), a pathway as fast to
        # learn as the critic's; conditional BatchNorm's per-class scales alone move at lr per step
        self.project = nn.Linear(z_dim + self.num_classes, width * START * START, bias=False)
        layers: list[nn.Module] = [make_norm(width), ReLU()]
        c = width
        for _ in range(n - 1):
            c_next = max(c // 2, 8)
            layers += [upsample_conv(c, c_next, kernel_size, upsample, bias=norm == "none"), make_norm(c_next), ReLU()]
            c = c_next
        layers += [upsample_conv(c, spec.channels, kernel_size, upsample, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.num_classes:
            z, c = split_class(z)  # [N, z_dim], [N]
            h = self.project(torch.cat([z, F.one_hot(c, self.num_classes).to(z)], 1))
        else:
            h = self.project(z)
        h = h.view(len(z), self.width, START, START)  # [N, width, 4, 4]
        for layer in self.net:
            if isinstance(layer, SelfModulatedBatchNorm):
                h = layer(h, z)
            else:
                h = layer(h, c) if isinstance(layer, ConditionalBatchNorm) else layer(h)
        return h  # [N, C, R, R]


@DISCRIMINATORS.register("dcgan")
class DCGANDiscriminator(LabelledCritic):
    """x [N, C, R, R] -> (stride-2 conv, norm, LeakyReLU 0.2) x n -> [N, width, 4, 4] -> Linear -> [N].
    No norm on the first layer; use norm=layer or none for gradient penalties (BatchNorm mixes samples).
    conditional: projection or acgan reads class labels (see LabelledCritic)."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 256, kernel_size: int = 4, norm: str = "batch",
                 outputs: int = 1, conditional: str = "none"):
        super().__init__()
        n = num_doublings(spec, "dcgan")
        make_norm = choose(NORMS_2D, norm, "norm")
        pad, _ = same_padding(kernel_size)
        if conditional != "none" and outputs != 1:
            raise ConfigError("a conditional dcgan discriminator is a critic (outputs 1), not an encoder")
        self.outputs = outputs
        channels = [max(width // 2 ** (n - 1 - i), 8) for i in range(n)]  # ends at `width`
        layers: list[nn.Module] = []
        c_in = spec.channels
        for i, c in enumerate(channels):
            first = i == 0
            layers += [nn.Conv2d(c_in, c, kernel_size, 2, pad, bias=first or norm == "none"),
                       nn.Identity() if first else make_norm(c), LeakyReLU(0.2)]
            c_in = c
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(c_in * START * START, outputs)
        dcgan_init(self)
        self.add_label_head(spec, conditional, c_in * START * START)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)  # [N, width * 16]

    def unconditional(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(x))  # [N, outputs]
        return out.squeeze(1) if self.outputs == 1 else out
