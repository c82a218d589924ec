"""Small shared pieces: activations and normalisations by name, DCGAN initialisation."""
from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from ..registry import did_you_mean
from .activations import LeakyReLU, ReLU

ACTIVATIONS = {
    "relu": lambda: ReLU(),
    "leaky_relu": lambda: LeakyReLU(0.2),
    "elu": lambda: nn.ELU(),
    "silu": lambda: nn.SiLU(),
    "tanh": lambda: nn.Tanh(),
}

NORMS_2D = {
    "batch": lambda c: nn.BatchNorm2d(c),
    "layer": lambda c: nn.GroupNorm(1, c),  # normalises over (C, H, W) per sample: safe for gradient penalties
    "none": lambda c: nn.Identity(),
}

NORMS_1D = {
    "batch": lambda c: nn.BatchNorm1d(c),
    "layer": lambda c: nn.LayerNorm(c),
    "none": lambda c: nn.Identity(),
}


def choose(table: dict, name: str, what: str):
    """table[name], or a ConfigError naming the valid choices."""
    if name not in table:
        raise ConfigError(f"unknown {what} {name!r}{did_you_mean(name, list(table))}; choose from {', '.join(table)}")
    return table[name]


def dcgan_init(module: nn.Module) -> None:
    """Weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0 (Radford et al. 2015)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Maxout(nn.Module):
    """max over `pieces` linear maps [N, d_in] -> [N, d_out] (Goodfellow et al. 2013), the hidden layer of the
    PacGAN / ALI toy discriminators."""

    def __init__(self, d_in: int, d_out: int, pieces: int):
        super().__init__()
        if pieces < 1:
            raise ConfigError(f"maxout pieces must be >= 1, got {pieces}")
        self.d_out, self.pieces = d_out, pieces
        self.linear = nn.Linear(d_in, d_out * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(len(x), self.d_out, self.pieces).amax(2)  # [N, d_out]


INITS = ("default", "dcgan")  # PyTorch's layer defaults, or dcgan_init's N(0, 0.02)


def initialise(module: nn.Module, init: str) -> None:
    """Applies the named initialisation (a ConfigError for an unknown one)."""
    if init not in INITS:
        raise ConfigError(f"unknown init {init!r}; choose from {', '.join(INITS)}")
    if init == "dcgan":
        dcgan_init(module)
