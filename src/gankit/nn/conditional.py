"""Class conditioning for the networks. The class index rides in the last column of z ([N, z_dim + 1], the
index as a float), so a fixed noise set stays one tensor that chunks, saves and moves like any other z.
Generators read it with conditional BatchNorm (docs/algorithms.md section 17); critics read labels by projection
(Miyato & Koyama 2018) or classify them (ACGAN, Odena et al. 2017)."""
from __future__ import annotations

import torch
from torch import nn

from ..data import DataSpec
from ..errors import ConfigError

CRITIC_MODES = ("none", "projection", "acgan")


def class_count(spec: DataSpec, where: str) -> int:
    if spec.num_classes < 1:
        raise ConfigError(f"{where}.options.conditional needs labelled data; dataset {spec.name} has no labels")
    return spec.num_classes


def split_class(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, z_dim + 1] -> noise [N, z_dim], class indices [N] (long)."""
    return z[:, :-1], z[:, -1].round().long()


def append_class(noise: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """noise [N, z_dim], classes [N] -> z [N, z_dim + 1]."""
    return torch.cat([noise, classes.to(noise)[:, None]], dim=1)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without affine parameters, then gamma(c) x + beta(c) with per-class embeddings initialised to
    gamma = 1, beta = 0 (de Vries et al. 2017; docs/algorithms.md section 17)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(num_classes, channels)
        self.beta = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.gamma(c)[:, :, None, None] + self.beta(c)[:, :, None, None]


class LabelledCritic(nn.Module):
    """A critic with features(x) [N, F] and a linear head, optionally reading class labels:
    - projection: D(x, y) = head(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018, eq. 3); without y it is
      the unconditional part (what 2-D landscapes and `gankit inspect` look at);
    - acgan: a second head of class logits, returned by D(x, with_classes=True) (Odena et al. 2017).
    Subclasses define features(x) and unconditional(x), and call add_label_head at the end of __init__."""

    conditional = "none"

    def add_label_head(self, spec: DataSpec, conditional: str, width: int) -> None:
        if conditional not in CRITIC_MODES:
            raise ConfigError(f"model.D.options.conditional: {conditional!r}; choose from {', '.join(CRITIC_MODES)}")
        self.conditional = conditional
        if conditional == "none":
            return
        self.num_classes = class_count(spec, "model.D")
        if conditional == "projection":
            self.embed = nn.Embedding(self.num_classes, width)
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
        else:
            self.class_head = nn.Linear(width, self.num_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, with_classes: bool = False):
        if self.conditional == "none":
            return self.unconditional(x)
        h = self.features(x)  # [N, F]
        score = self.head(h).squeeze(1)  # [N]
        if self.conditional == "projection" and y is not None:
            score = score + (self.embed(y) * h).sum(1)
        if with_classes:
            return score, self.class_head(h)  # [N], [N, K]
        return score


class WithLabels(nn.Module):
    """D(x, y) as a module of x alone, for penalties that differentiate D at x (the labels stay fixed)."""

    def __init__(self, D: nn.Module, y: torch.Tensor | None):
        super().__init__()
        self.D, self.y = D, y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x, self.y)
