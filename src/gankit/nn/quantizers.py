"""Quantizers as drop-in modules: z [..., dim] -> (quantized, indices, aux_loss) (docs/algorithms.md section 16).

VQ (van den Oord et al. 2017) with the straight-through or the rotation-trick gradient (Fifty et al. 2024),
an optional EMA codebook and dead-code replacement; FSQ (Mentzer et al. 2023), no codebook and no loss.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..domains import AT_LEAST_0, POSITIVE, UNIT_OPEN_RIGHT, integer_list, integers
from ..errors import ConfigError
from ..registry import Registry

QUANTIZERS: Registry = Registry("quantizers")


def straight_through(z: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """z + sg(q - z): the value of q, the gradient of the identity to z."""
    return z + (q - z).detach()


def rotate_to(e: torch.Tensor, q: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """The rotation trick (Fifty et al. 2024, section 4.2): returns sg(lambda R) e, whose value is q and whose
    gradient to e is lambda R^T grad, with R = I - 2 r r^T + 2 q_hat e_hat^T the rotation taking e_hat onto
    q_hat, r = (e_hat + q_hat) / ||e_hat + q_hat||, lambda = ||q|| / ||e||; computed without forming R."""
    e_norm = e.detach().norm(dim=-1, keepdim=True).clamp_min(eps)
    q_norm = q.detach().norm(dim=-1, keepdim=True).clamp_min(eps)
    e_hat, q_hat = e.detach() / e_norm, q.detach() / q_norm
    r = e_hat + q_hat
    r = r / r.norm(dim=-1, keepdim=True).clamp_min(eps)
    rotated = e - 2 * (r * e).sum(-1, keepdim=True) * r + 2 * (e_hat * e).sum(-1, keepdim=True) * q_hat
    return (q_norm / e_norm) * rotated


def perplexity(indices: torch.Tensor, codebook_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(exp of the entropy of the code histogram, share of codes used) over all indices given."""
    counts = torch.bincount(indices.flatten(), minlength=codebook_size).double()
    p = counts / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return entropy.exp().float(), (counts > 0).double().mean().float()


@QUANTIZERS.register("vq")
class VectorQuantizer(nn.Module):
    """Nearest codebook vector q = e_k, k = argmin ||z - e_i||. aux_loss = ||sg(z) - q||^2 (dropped with the EMA
    codebook) + beta ||z - sg(q)||^2, element means. gradient: ste (z + sg(q - z)) or rotation (rotate_to).
    ema_decay > 0: N_i, m_i moving averages with Laplace smoothing, e_i = m_i / N_i (VQ-VAE appendix; Sonnet).
    dead_code_threshold > 0: codes whose average use per step falls below it move to random batch vectors.
    In training, both updates follow the lookup: the step outputs (and commits to) the codes before them."""
    option_domains = {"codebook_size": integers(2, 1 << 20), "beta": AT_LEAST_0, "ema_decay": UNIT_OPEN_RIGHT,
                      "dead_code_threshold": AT_LEAST_0, "usage_decay": UNIT_OPEN_RIGHT, "eps": POSITIVE}

    def __init__(self, dim: int, codebook_size: int = 512, beta: float = 0.25, gradient: str = "ste",
                 ema_decay: float = 0.0, dead_code_threshold: float = 0.0, usage_decay: float = 0.99,
                 eps: float = 1e-5):
        super().__init__()
        if gradient not in ("ste", "rotation"):
            raise ConfigError(f"quantizer option gradient: {gradient!r}; choose ste or rotation")
        if not 0.0 <= ema_decay < 1.0:
            raise ConfigError(f"quantizer option ema_decay: expected a value in [0, 1), got {ema_decay}")
        self.dim, self.codebook_size, self.beta, self.gradient = dim, codebook_size, beta, gradient
        self.ema_decay, self.dead_code_threshold, self.usage_decay, self.eps = ema_decay, dead_code_threshold, usage_decay, eps
        init = torch.randn(codebook_size, dim) / math.sqrt(dim)  # lecun-normal scale, as Su's vqvae.py
        if ema_decay > 0:  # the codebook is a statistic, not a parameter: no optimizer touches it
            self.register_buffer("codebook", init)
        else:
            self.codebook = nn.Parameter(init)
        # training statistics, checkpointed through the objective's extra_state (non-persistent here)
        # N_i starts at one use per code (as vector-quantize-pytorch): from zero, e_i = m_i / N_i of a code unused
        # in the first steps would blow up to ~1 / (1 - decay) times its initial value and never be chosen again
        self.register_buffer("cluster_size", torch.ones(codebook_size), persistent=False)  # N_i
        self.register_buffer("embed_sum", init.clone(), persistent=False)                    # m_i
        self.register_buffer("usage", torch.ones(codebook_size), persistent=False)           # uses per step, EMA

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices [...] -> codebook vectors [..., dim]."""
        return F.embedding(indices, self.codebook)

    def nearest(self, flat: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code of each row of flat [M, dim]."""
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.t() + self.codebook.pow(2).sum(1)
        return distances.argmin(1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        flat = z.reshape(-1, self.dim)  # [M, dim]
        indices = self.nearest(flat.detach())
        # the code each row was matched to, read before this step's EMA update and dead-code replacement move it
        # (as vector-quantize-pytorch and Sonnet's VectorQuantizerEMA): a row whose code is replaced in this step
        # still outputs its own code, not the batch vector that replaces it
        q = self.decode(indices).view_as(z)
        if self.training:
            self.update_statistics(flat.detach(), indices)
        commitment = F.mse_loss(z, q.detach())
        aux = self.beta * commitment if self.ema_decay > 0 else F.mse_loss(q, z.detach()) + self.beta * commitment
        quantized = rotate_to(z, q) if self.gradient == "rotation" else straight_through(z, q)
        return quantized, indices.view(z.shape[:-1]), aux

    @torch.no_grad()
    def update_statistics(self, flat: torch.Tensor, indices: torch.Tensor) -> None:
        """Usage average; the EMA codebook step; dead-code replacement (all in training mode only)."""
        one_hot = F.one_hot(indices, self.codebook_size).type_as(flat)  # [M, K]
        counts = one_hot.sum(0)
        self.usage.lerp_(counts, 1 - self.usage_decay)
        if self.ema_decay > 0:
            self.cluster_size.lerp_(counts, 1 - self.ema_decay)
            self.embed_sum.lerp_(one_hot.t() @ flat, 1 - self.ema_decay)
            total = self.cluster_size.sum()
            smoothed = (self.cluster_size + self.eps) / (total + self.codebook_size * self.eps) * total
            self.codebook.copy_(self.embed_sum / smoothed[:, None])
        if self.dead_code_threshold > 0:
            self.replace_dead_codes(flat)

    def replace_dead_codes(self, flat: torch.Tensor) -> None:
        dead = self.usage < self.dead_code_threshold
        if not dead.any():
            return
        picks = flat[torch.randint(len(flat), (int(dead.sum()),), device=flat.device)]
        self.codebook.data[dead] = picks
        self.usage[dead] = 1.0  # a fresh code gets a grace period before it can die again
        if self.ema_decay > 0:
            self.cluster_size[dead] = 1.0
            self.embed_sum[dead] = picks

    def statistics(self) -> dict[str, torch.Tensor]:
        return {"cluster_size": self.cluster_size, "embed_sum": self.embed_sum, "usage": self.usage}


@QUANTIZERS.register("fsq")
class FSQ(nn.Module):
    """Finite scalar quantization (Mentzer et al. 2023): each of d = len(levels) channels is bounded to
    b = tanh(z + shift) half_l - offset, rounded with a straight-through gradient, and scaled to [-1, 1].
    half_l = (L - 1)(1 + eps) / 2 and shift = atanh(offset / half_l) centre the levels (the paper's listing has
    (1 - eps) and tan, which moves b(0) off the zero level for even L). Codes: prod(levels); aux_loss = 0."""
    option_domains = {"levels": integer_list(2, 1 << 16), "eps": POSITIVE}  # read by registry.check_options

    def __init__(self, dim: int, levels: list | None = None, eps: float = 1e-3):
        super().__init__()
        levels = [int(v) for v in (levels if levels is not None else [8, 6, 5])]
        if dim != len(levels):
            raise ConfigError(f"fsq: the code dimension {dim} must equal the number of levels {levels}")
        if min(levels) < 2:
            raise ConfigError(f"fsq: every level count must be at least 2, got {levels}")
        self.dim, self.levels, self.codebook_size = dim, levels, math.prod(levels)
        L = torch.tensor(levels, dtype=torch.float32)
        self.register_buffer("L", L, persistent=False)
        self.register_buffer("half_l", (L - 1) * (1 + eps) / 2, persistent=False)
        self.register_buffer("offset", (L % 2 == 0).float() * 0.5, persistent=False)
        self.register_buffer("half_width", torch.floor(L / 2), persistent=False)
        self.register_buffer("basis", torch.cumprod(torch.tensor([1] + levels[:-1]), 0), persistent=False)

    def bound(self, z: torch.Tensor) -> torch.Tensor:
        shift = torch.atanh(self.offset / self.half_l)
        return torch.tanh(z + shift) * self.half_l - self.offset

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b = self.bound(z)
        quantized = straight_through(b, b.round()) / self.half_width  # [..., d] in [-1, 1]
        return quantized, self.indices(quantized), z.new_zeros(())

    def indices(self, quantized: torch.Tensor) -> torch.Tensor:
        digits = (quantized * self.half_width + self.half_width).round().long()  # [..., d] in 0..L-1
        return (digits * self.basis).sum(-1)

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        digits = (indices[..., None] // self.basis) % self.L.long()
        return (digits.float() - self.half_width) / self.half_width

    def statistics(self) -> dict[str, torch.Tensor]:
        return {}


def build_quantizer(name: str, dim: int, options: dict) -> nn.Module:
    """A registered quantizer for codes of `dim` channels, its options checked against the constructor."""
    from ..registry import check_options

    cls = QUANTIZERS.get(name)
    check_options(cls, options, "objective.options.quantizer_options", skip=("dim",))
    return cls(dim=dim, **options)
