"""Networks x -> x of the data's own shape (IGN's f): an encoder body to a bottleneck, then a generator body
back (the DCGAN encoder -> decoder of Shocher et al. 2023 for images, MLPs for vectors)."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPCritic, MLPGenerator
from .registry import DATA_MAPS


class EncoderDecoder(nn.Module):
    """decode(encode(x)) [N, *shape]; `shape` lets objectives draw noise shaped like the data."""

    def __init__(self, spec: DataSpec, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.shape = spec.shape
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))  # [N, latent] in between


@DATA_MAPS.register("dcgan-ae")
def dcgan_autoencoder(spec: DataSpec, z_dim: int, width: int = 128, latent: int = 0, norm: str = "layer",
                      kernel_size: int = 4) -> EncoderDecoder:
    """The DCGAN critic's body to a `latent`-wide bottleneck (0: model.z_dim), then the DCGAN generator. norm layer
    by default: f sees real, noise and generated batches, whose BatchNorm statistics would differ wildly."""
    latent = latent or z_dim
    return EncoderDecoder(spec, DCGANDiscriminator(spec, z_dim, width, kernel_size, norm, outputs=latent),
                          DCGANGenerator(spec, latent, width, kernel_size, norm=norm))


@DATA_MAPS.register("mlp-ae")
def mlp_autoencoder(spec: DataSpec, z_dim: int, hidden: int = 256, depth: int = 3, latent: int = 0,
                    activation: str = "relu") -> EncoderDecoder:
    """An MLP to a `latent`-wide bottleneck (0: model.z_dim) and an MLP back (tanh when the data is bounded)."""
    latent = latent or z_dim
    return EncoderDecoder(spec, MLPCritic(spec, z_dim, hidden, depth, activation, outputs=latent),
                          MLPGenerator(spec, latent, hidden, depth, activation))
