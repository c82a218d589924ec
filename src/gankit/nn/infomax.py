"""Deep InfoMax's networks in one module (Su's formulation, kexue.fm/archives/6024, code bojone/infomax;
docs/algorithms.md section 23): a Gaussian encoder that exposes a local feature map, a global critic on (global
feature of x, z) and a local critic on (feature at each position, z). The critics are trained with the encoder
on one loss (they maximise the same bound), so they live in the encoder's module and share its optimizer."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from .activations import LeakyReLU
from .registry import ENCODERS


def critic_mlp(width_in: int, hidden: int, layers: int, pointwise: bool) -> nn.Sequential:
    """`layers` ReLU layers of `hidden` then one logit: Linear on vectors, 1x1 convolutions on feature maps."""
    make = (lambda a, b: nn.Conv2d(a, b, 1)) if pointwise else nn.Linear
    out, width = [], width_in
    for _ in range(layers):
        out += [make(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*out, make(width, 1))


class InfoMaxEncoder(nn.Module):
    """x -> [N, outputs] (mean and log-variance of q(z|x) for a Gaussian encoder); `features(x)` gives the local
    feature map [N, C, H, W] (images: after the first conv block and 2x2 max-pool; vectors: the first hidden layer
    as one position) and the global feature [N, G] (two more blocks, global max-pool)."""

    def __init__(self, spec: DataSpec, z_dim: int, outputs: int, width: int = 64, hidden: int = 256,
                 critic_layers: int = 3):
        super().__init__()
        self.z_dim = z_dim
        if spec.is_image:
            block = lambda a, b: [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), LeakyReLU(0.2)]  # noqa: E731
            self.local = nn.Sequential(*block(spec.channels, width), nn.MaxPool2d(2))
            self.top = nn.Sequential(*block(width, 2 * width), *block(2 * width, 2 * width),
                                     nn.AdaptiveMaxPool2d(1), nn.Flatten())
            local_width, global_width = width, 2 * width
        else:
            self.local = nn.Sequential(nn.Flatten(), nn.Linear(spec.dim, hidden), LeakyReLU(0.2),
                                       nn.Unflatten(1, (hidden, 1, 1)))
            self.top = nn.Sequential(nn.Flatten(), nn.Linear(hidden, hidden), LeakyReLU(0.2))
            local_width, global_width = hidden, hidden
        self.head = nn.Linear(global_width, outputs)
        self.global_critic = critic_mlp(global_width + z_dim, hidden, critic_layers, pointwise=False)
        self.local_critic = critic_mlp(local_width + z_dim, hidden, critic_layers, pointwise=True)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(local feature map [N, C, H, W], global feature [N, G])."""
        local = self.local(x)
        return local, self.top(local)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)[1])

    def global_score(self, g: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """T_global(g, z) logits [N]."""
        return self.global_critic(torch.cat([g, z], dim=1)).squeeze(1)

    def local_scores(self, local: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """T_local(f_ij, z) logits at every position [N, H, W], z repeated over the map."""
        z_map = z[:, :, None, None].expand(-1, -1, *local.shape[2:])
        return self.local_critic(torch.cat([local, z_map], dim=1)).squeeze(1)


@ENCODERS.register("infomax")
def infomax_encoder(spec: DataSpec, z_dim: int, outputs: int, width: int = 64, hidden: int = 256,
                    critic_layers: int = 3) -> InfoMaxEncoder:
    """Su's Deep InfoMax encoder with its global and local critics (bojone/infomax: conv-BN-LeakyReLU blocks, the
    critics three ReLU layers of z_dim units in the code, `hidden` here)."""
    return InfoMaxEncoder(spec, z_dim, outputs, width, hidden, critic_layers)
