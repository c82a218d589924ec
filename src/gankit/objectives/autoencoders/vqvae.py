"""VQ-VAE (van den Oord et al. 2017) with any registered quantizer: the encoder's z_dim outputs are cut into
z_dim / code_dim groups, each quantized to one code, and the decoder G reads the quantized vector."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from ..base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, with_total
from ...nn.quantizers import build_quantizer, perplexity


class QuantizingEncoder(nn.Module):
    """x -> E(x) [N, z_dim] -> groups [N, z_dim / code_dim, code_dim] -> (quantized [N, z_dim], indices
    [N, groups], aux_loss). The quantizer lives here so that E's optimizer trains a learned codebook."""

    def __init__(self, encoder: nn.Module, quantizer: nn.Module, code_dim: int):
        super().__init__()
        self.encoder, self.quantizer, self.code_dim = encoder, quantizer, code_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        quantized, indices, aux = self.quantizer(z.view(len(z), -1, self.code_dim))
        return quantized.flatten(1), indices, aux

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """indices [N, groups] -> the quantized vector [N, z_dim]."""
        return self.quantizer.decode(indices).flatten(1)


@OBJECTIVES.register("vq-vae")
class VQVAE(Objective):
    """L = mean (x - G(z_q))^2 + the quantizer's aux_loss (codebook + beta commitment for vq; none for fsq).
    quantizer: vq or fsq (gankit list quantizers), quantizer_options its options (vq: codebook_size, beta,
    gradient ste | rotation, ema_decay, dead_code_threshold; fsq: levels). No prior over the codes is learned,
    so there is nothing to sample: encode, reconstruct and the codebook statistics are what it offers."""

    networks = {"G": NetworkSlot("generator"), "E": NetworkSlot("encoder")}
    capabilities = Capabilities(samples=False, encoder="E")  # no prior over the codes to sample from
    ema_networks = ()  # a weight average of E would blur the codebook against the decoder it pairs with

    def __init__(self, networks, z_dim, quantizer: str = "vq", code_dim: int = 3,
                 quantizer_options: dict | None = None):
        if z_dim % code_dim:
            raise ConfigError(f"vq-vae: model.z_dim {z_dim} must be a multiple of objective.options.code_dim {code_dim}")
        networks = dict(networks)
        q = build_quantizer(quantizer, code_dim, dict(quantizer_options or {}))
        networks["E"] = QuantizingEncoder(networks["E"], q, code_dim)
        super().__init__(networks, z_dim)

    @property
    def quantizer(self) -> nn.Module:
        return self.nets["E"].quantizer

    def phases(self) -> list[Phase]:
        return [Phase("VQ", ("E", "G"), "generator", self.loss)]

    def loss(self, batch: Batch) -> Losses:
        quantized, indices, aux = self.nets["E"](batch.x)
        reconstruction = F.mse_loss(self.nets["G"](quantized), batch.x)
        used_perplexity, usage = perplexity(indices, self.quantizer.codebook_size)
        return with_total({"recon": reconstruction, "quantizer": aux}, perplexity=used_perplexity, usage=usage)

    def generate(self, z, nets, generator=None):
        raise ConfigError("vq-vae learns no prior over its codes, so it cannot sample unconditionally; use "
                          "gankit reconstruct or encode (a prior over the indices is future work)")

    def encode(self, x: torch.Tensor, E=None) -> torch.Tensor:
        return self.encoder(E)(x)[0]

    def reconstruct(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> torch.Tensor:
        return nets["G"](nets["E"](x)[0])

    @torch.no_grad()
    def code_statistics(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> dict[str, float]:
        """perplexity: exp of the entropy of the code histogram of x; usage: share of the codes x uses."""
        indices = nets["E"](x)[1]
        value, usage = perplexity(indices, self.quantizer.codebook_size)
        return {"perplexity": float(value), "usage": float(usage), "codes": float(self.quantizer.codebook_size)}

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {f"quantizer.{k}": v for k, v in self.quantizer.statistics().items()}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        for key, value in self.quantizer.statistics().items():
            saved = tensors.get(f"quantizer.{key}")
            if saved is not None:
                value.copy_(saved)
