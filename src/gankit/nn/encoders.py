"""Encoders x -> R^outputs (the discriminator bodies with a vector head) and BiGAN's joint critic on (x, z)."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from ..errors import ConfigError
from .activations import LeakyReLU
from .dcgan import DCGANDiscriminator
from .mlp import MLPCritic
from .registry import ENCODERS, JOINT_CRITICS


@ENCODERS.register("mlp")
def mlp_encoder(spec: DataSpec, z_dim: int, outputs: int, hidden: int = 256, depth: int = 3,
                activation: str = "leaky_relu", norm: str = "none") -> nn.Module:
    """The MLP critic's body with `outputs` linear outputs."""
    return MLPCritic(spec, z_dim, hidden, depth, activation, norm, outputs=outputs)


@ENCODERS.register("dcgan")
def dcgan_encoder(spec: DataSpec, z_dim: int, outputs: int, width: int = 256, kernel_size: int = 4,
                  norm: str = "batch") -> nn.Module:
    """The DCGAN discriminator's body with `outputs` linear outputs (the E of BiGAN-QP and O-GAN)."""
    return DCGANDiscriminator(spec, z_dim, width, kernel_size, norm, outputs=outputs)


class JointCritic(nn.Module):
    """T(x, z) = MLP([x_branch(x), z]) -> [N]: an x-branch, the code, and LeakyReLU layers fusing them
    (Donahue et al. 2016; Dumoulin et al. 2016; the layout of Su's BiGAN-QP code). dropout > 0 drops the image
    and the input of every fusing layer in training (ALI's code uses 0.2 there, and also inside its x-branch)."""

    def __init__(self, x_branch: nn.Module, features: int, z_dim: int, hidden: int, depth: int, dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"model.D.options.dropout: expected a rate in [0, 1); got {dropout}")
        self.x_branch, self.drop = x_branch, nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        layers, width = [], features + z_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), LeakyReLU(0.2)]
            width = hidden
        self.fuse = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h = torch.cat([self.x_branch(self.drop(x)), z], dim=1)
        for layer in self.fuse:  # the dropout outside the Sequential keeps its weights' names
            h = layer(self.drop(h) if isinstance(layer, nn.Linear) else h)
        return h.squeeze(1)


@JOINT_CRITICS.register("mlp")
def joint_mlp(spec: DataSpec, z_dim: int, hidden: int = 256, depth: int = 2, features: int = 0,
              joint_hidden: int = 512, joint_depth: int = 2, activation: str = "leaky_relu",
              dropout: float = 0.0) -> JointCritic:
    """MLP x-branch to `features` (default z_dim), fused with z by joint_depth layers of joint_hidden."""
    features = features or z_dim
    branch = MLPCritic(spec, z_dim, hidden, depth, activation, "none", outputs=features)
    return JointCritic(branch, features, z_dim, joint_hidden, joint_depth, dropout)


@JOINT_CRITICS.register("dcgan")
def joint_dcgan(spec: DataSpec, z_dim: int, width: int = 128, kernel_size: int = 4, norm: str = "layer",
                features: int = 0, joint_hidden: int = 512, joint_depth: int = 2, dropout: float = 0.0) -> JointCritic:
    """DCGAN conv x-branch to `features` (default z_dim), fused with z (Su's code: 1024 x 2 at 128 px; ALI's
    code: 512 x-features, 1024 x 2)."""
    features = features or z_dim
    branch = DCGANDiscriminator(spec, z_dim, width, kernel_size, norm, outputs=features)
    return JointCritic(branch, features, z_dim, joint_hidden, joint_depth, dropout)
