"""SNGAN's standard CNN and ResNet generator / discriminator (Miyato et al. 2018, tables 3 and 4), for any
power-of-two resolution 8..1024 and any channel count, and a residual MLP for vectors. Spectral
normalization is not built in: it is the `spectral-norm` constraint, applied from the config."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from .activations import LeakyReLU, ReLU
from .blocks import ACTIVATIONS, NORMS_1D, NORMS_2D, choose
from .dcgan import START, num_doublings, same_padding, upsample_conv
from .registry import DISCRIMINATORS, GENERATORS


def xavier_init(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, the initialisation of the SNGAN reference code."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# --- standard CNN ----------------------------------------------------------------------------------

@GENERATORS.register("sngan-cnn")
class SNGANGenerator(nn.Module):
    """z -> Linear to [width, 4, 4] -> (norm, ReLU, x2 upsample halving channels) x n -> norm, ReLU,
    3x3 conv to C, tanh. upsample=nearest uses nearest-neighbour + 3x3 conv (no checkerboard artifacts)."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 512, upsample: str = "convtranspose",
                 norm: str = "batch"):
        super().__init__()
        n = num_doublings(spec, "sngan-cnn")
        make_norm = choose(NORMS_2D, norm, "norm")
        self.width = width
        self.project = nn.Linear(z_dim, width * START * START)
        layers: list[nn.Module] = []
        c = width
        for _ in range(n):
            c_next = max(c // 2, 8)
            layers += [make_norm(c), ReLU(), upsample_conv(c, c_next, 4, upsample, bias=True)]
            c = c_next
        layers += [make_norm(c), ReLU(), nn.Conv2d(c, spec.channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        xavier_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(len(z), self.width, START, START))  # [N, C, R, R]


@DISCRIMINATORS.register("sngan-cnn")
class SNGANDiscriminator(nn.Module):
    """x -> (3x3 conv, 4x4 stride-2 conv doubling channels) x n -> 3x3 conv to `width` -> Linear -> [N];
    LeakyReLU 0.1 after every conv. No normalisation: pair it with the spectral-norm constraint."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 512):
        super().__init__()
        n = num_doublings(spec, "sngan-cnn")
        pad, _ = same_padding(4)
        layers: list[nn.Module] = []
        c_in = spec.channels
        for i in range(n):
            c = max(width // 2 ** (n - i), 8)
            layers += [nn.Conv2d(c_in, c, 3, 1, 1), LeakyReLU(0.1), nn.Conv2d(c, c, 4, 2, pad), LeakyReLU(0.1)]
            c_in = c
        layers += [nn.Conv2d(c_in, width, 3, 1, 1), LeakyReLU(0.1)]
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(width * START * START, 1)
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x).flatten(1)).squeeze(1)


# --- ResNet ----------------------------------------------------------------------------------------

class UpBlock(nn.Module):
    """norm, ReLU, x2 nearest, 3x3 conv, norm, ReLU, 3x3 conv; shortcut x2 nearest, 1x1 conv."""

    def __init__(self, c_in: int, c_out: int, make_norm):
        super().__init__()
        self.residual = nn.Sequential(make_norm(c_in), ReLU(), nn.Upsample(scale_factor=2),
                                      nn.Conv2d(c_in, c_out, 3, 1, 1), make_norm(c_out), ReLU(),
                                      nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.shortcut = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(c_in, c_out, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


class DownBlock(nn.Module):
    """(ReLU,) 3x3 conv, ReLU, 3x3 conv, (2x2 average pool); shortcut 1x1 conv and pool where shapes change.
    The first block of the critic starts with the conv (its input is the image) and pools before its 1x1."""

    def __init__(self, c_in: int, c_out: int, down: bool, first: bool):
        super().__init__()
        pool = [nn.AvgPool2d(2)] if down else []
        self.residual = nn.Sequential(*([] if first else [ReLU()]), nn.Conv2d(c_in, c_out, 3, 1, 1), ReLU(),
                                      nn.Conv2d(c_out, c_out, 3, 1, 1), *pool)
        if first:
            self.shortcut = nn.Sequential(*pool, nn.Conv2d(c_in, c_out, 1))
        elif down or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1), *pool)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


@GENERATORS.register("sngan-resnet")
class ResNetGenerator(nn.Module):
    """z -> Linear to [width, 4, 4] -> n up-blocks -> norm, ReLU, 3x3 conv to C, tanh."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 256, norm: str = "batch"):
        super().__init__()
        n = num_doublings(spec, "sngan-resnet")
        make_norm = choose(NORMS_2D, norm, "norm")
        self.width = width
        self.project = nn.Linear(z_dim, width * START * START)
        self.net = nn.Sequential(*[UpBlock(width, width, make_norm) for _ in range(n)], make_norm(width), ReLU(),
                                 nn.Conv2d(width, spec.channels, 3, 1, 1), nn.Tanh())
        xavier_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(len(z), self.width, START, START))


@DISCRIMINATORS.register("sngan-resnet")
class ResNetDiscriminator(nn.Module):
    """x -> max(1, log2(R / 4) - 1) down-blocks, two blocks at that size, ReLU, sum over positions,
    Linear -> [N] (at 32 px: 32 -> 16 -> 8, then two blocks at 8 x 8, as the paper's CIFAR critic)."""

    def __init__(self, spec: DataSpec, z_dim: int, width: int = 128):
        super().__init__()
        n_down = max(1, num_doublings(spec, "sngan-resnet") - 1)
        blocks = [DownBlock(spec.channels, width, down=True, first=True)]
        blocks += [DownBlock(width, width, down=True, first=False) for _ in range(n_down - 1)]
        blocks += [DownBlock(width, width, down=False, first=False) for _ in range(2)]
        self.net = nn.Sequential(*blocks, ReLU())
        self.head = nn.Linear(width, 1)
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x).sum(dim=(2, 3))).squeeze(1)


# --- residual MLP (vectors) -------------------------------------------------------------------------

class ResidualMLPBlock(nn.Module):
    """x + Linear(act(norm(Linear(act(norm(x))))))."""

    def __init__(self, width: int, activation: str, norm: str):
        super().__init__()
        act, make_norm = choose(ACTIVATIONS, activation, "activation"), choose(NORMS_1D, norm, "norm")
        self.residual = nn.Sequential(make_norm(width), act(), nn.Linear(width, width),
                                      make_norm(width), act(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.residual(x)


def residual_mlp(d_in: int, d_out: int, hidden: int, blocks: int, activation: str, norm: str) -> nn.Sequential:
    act = choose(ACTIVATIONS, activation, "activation")
    return nn.Sequential(nn.Linear(d_in, hidden), *[ResidualMLPBlock(hidden, activation, norm) for _ in range(blocks)],
                         act(), nn.Linear(hidden, d_out))


@GENERATORS.register("resmlp")
class ResidualMLPGenerator(nn.Module):
    """z -> Linear -> residual blocks -> Linear -> x [N, *shape]: the ResNet layout for vector data."""

    def __init__(self, spec: DataSpec, z_dim: int, hidden: int = 256, blocks: int = 2,
                 activation: str = "relu", norm: str = "none"):
        super().__init__()
        self.shape = spec.shape
        self.net = nn.Sequential(residual_mlp(z_dim, spec.dim, hidden, blocks, activation, norm),
                                 *([nn.Tanh()] if spec.bounded else []))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.shape)


@DISCRIMINATORS.register("resmlp")
class ResidualMLPCritic(nn.Module):
    """x -> Linear -> residual blocks -> Linear -> [N]."""

    def __init__(self, spec: DataSpec, z_dim: int, hidden: int = 256, blocks: int = 2,
                 activation: str = "relu", norm: str = "none"):
        super().__init__()
        self.net = residual_mlp(spec.dim, 1, hidden, blocks, activation, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).squeeze(1)
