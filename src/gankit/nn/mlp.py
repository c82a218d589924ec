"""Fully connected generator and critic for vectors or flattened images of any shape."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from .blocks import ACTIVATIONS, NORMS_1D, Maxout, choose, initialise
from .registry import DISCRIMINATORS, GENERATORS


def mlp_layers(d_in: int, hidden: int, depth: int, activation: str, norm: str, pieces: int = 5) -> list[nn.Module]:
    """`depth` hidden layers Linear -> norm -> activation, or Maxout(`pieces`) -> norm for activation maxout."""
    make_norm = choose(NORMS_1D, norm, "norm")
    if activation == "maxout":
        return [m for i in range(depth) for m in (Maxout(d_in if i == 0 else hidden, hidden, pieces), make_norm(hidden))]
    act = choose({**ACTIVATIONS, "maxout": None}, activation, "activation")
    layers, width = [], d_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), make_norm(hidden), act()]
        width = hidden
    return layers


@GENERATORS.register("mlp")
class MLPGenerator(nn.Module):
    """z [N, z_dim] -> x [N, *spec.shape]; tanh output when the data is bounded to [-1, 1]."""

    def __init__(self, spec: DataSpec, z_dim: int, hidden: int = 256, depth: int = 3,
                 activation: str = "relu", norm: str = "none", init: str = "default", pieces: int = 5):
        super().__init__()
        self.shape = spec.shape
        out = [nn.Tanh()] if spec.bounded else []
        self.net = nn.Sequential(*mlp_layers(z_dim, hidden, depth, activation, norm, pieces),
                                 nn.Linear(hidden if depth else z_dim, spec.dim), *out)
        initialise(self, init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(len(z), *self.shape)


@DISCRIMINATORS.register("mlp")
class MLPCritic(nn.Module):
    """x [N, *spec.shape] -> one logit / critic value per sample [N], or [N, outputs] as an encoder."""

    def __init__(self, spec: DataSpec, z_dim: int, hidden: int = 256, depth: int = 3,
                 activation: str = "leaky_relu", norm: str = "none", outputs: int = 1, init: str = "default",
                 pieces: int = 5):
        super().__init__()
        self.outputs = outputs
        self.net = nn.Sequential(*mlp_layers(spec.dim, hidden, depth, activation, norm, pieces),
                                 nn.Linear(hidden if depth else spec.dim, outputs))
        initialise(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.flatten(1))
        return out.squeeze(1) if self.outputs == 1 else out
