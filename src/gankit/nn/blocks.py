"""Small shared pieces: activations and normalisations by name, DCGAN initialisation."""
from __future__ import annotations

from torch import nn

from ..errors import ConfigError
from ..registry import did_you_mean

ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
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
