"""Objective = the networks an algorithm needs + its phases. Objectives compute; the trainer steps."""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Mapping

import torch
from torch import nn
from torch.func import functional_call

from ..errors import ConfigError
from ..registry import Registry

OBJECTIVES: Registry = Registry("objectives")

Losses = dict[str, torch.Tensor]  # always holds "total", the scalar the trainer differentiates
REAL_SIGN = "d_real_sign"  # the critic phase's diagnostic E[sign(D(x_real))]: ADA's overfitting heuristic r_t


@dataclass
class Batch:
    x: torch.Tensor | None      # real samples [N, *shape]; None in a phase with uses_real=False
    y: torch.Tensor | None      # labels [N], or None (also in a phase with uses_real=False)
    z: torch.Tensor             # latent codes [N, z_dim]
    phase_step: int = 0         # how many times this phase ran before (lazy penalties count with it)


@dataclass(frozen=True)
class Phase:
    name: str                   # shown in logs, e.g. "D" or "G"
    networks: tuple[str, ...]   # the networks whose optimizers step after this phase's backward
    role: str                   # "critic" or "generator": the schedule decides how often each runs
    loss: Callable[[Batch], Losses]
    uses_real: bool = True      # False: the loss never reads batch.x / batch.y, so no real batch is drawn


ROLES = ("generator", "discriminator", "encoder", "gaussian-encoder", "joint", "data map", "denoiser")


@dataclass(frozen=True)
class NetworkSlot:
    """A network an objective declares: the kind of network it is built as, and whether the config may omit it."""
    role: str                   # one of ROLES: which family of networks (gankit list networks) it is built from
    optional: bool = False      # built only when the config's model section names it
    default: str = "mlp"        # the network family built when the config names none

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"network role {self.role!r}; choose from {', '.join(ROLES)}")


@dataclass(frozen=True)
class Capabilities:
    """What an objective can do, declared beside it; code outside objectives/ asks these and nothing else."""
    samples: bool = True        # draws new data from the noise of sample_z (False: a VQ-VAE without a prior)
    encoder: str | None = None  # the network that maps data to codes (encode, reconstruct, encoder metrics)
    reconstructs: bool = True   # an encoder's codes decode back to data (False: InfoMax, codes without a decoder)
    critic: str | None = None   # the network whose first input is the data as the critic sees it (DiffAugment)
    penalties: bool = False     # takes the config's critic penalties (penalties: [...])
    refine: str | None = None   # where gankit refine moves samples: latent (z under the critic), data (chains in x)
    sampling_options: tuple[str, ...] = ()  # attributes the sampling commands may set (sample_from, applications)
    single_loss: bool = False   # has single_loss_phase: every network in one stop-gradient loss (simultaneous)
    real_sign: bool = False     # its critic phases report REAL_SIGN, E[sign(D(x_real))], D's score being a logit
                                # whose sign says real or fake (ADA adapts p from it)


class Objective(nn.Module, ABC):
    """Holds the networks by the names it declares in `networks` and, where it takes them, the critic penalties."""

    networks: dict[str, NetworkSlot] = {}   # network name -> how it is built; the config's model.<name> configures it
    capabilities = Capabilities()
    ema_networks: tuple[str, ...] = ("G", "E")  # networks given a weight-averaged copy, where present
    renamed_networks: dict[str, str] = {}       # older checkpoints' network name -> today's (upgraded on load)
    clamp: tuple[float, float] | None = None    # the data range that chains in data space stay in, if any

    def __init__(self, networks: dict[str, nn.Module], z_dim: int, penalties: list = ()):
        super().__init__()
        self.nets = nn.ModuleDict(networks)
        self.penalties = list(penalties)
        self.z_dim = z_dim

    @abstractmethod
    def phases(self) -> list[Phase]:
        """The phases of one iteration, in order."""

    def single_loss_phase(self) -> Phase | None:
        """All networks in one phase whose loss gives each network its own phase's gradient in one backward
        (the stop-gradient identity, docs/algorithms.md section 10), or None where the phases cannot be combined."""
        return None

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """The noise that sampling starts from: z ~ N(0, I) [n, z_dim] here; objectives that sample
        otherwise (chains in data space, noise shaped like the data) override it."""
        return torch.randn(n, self.z_dim, generator=generator).to(device)

    def with_class(self, z: torch.Tensor, classes: int) -> torch.Tensor:
        """z of `sample_z` with every sample asking for class `classes` (class-conditional objectives only)."""
        raise ConfigError("this run is not class-conditional")

    def requested_classes(self, z: torch.Tensor) -> torch.Tensor | None:
        """The class [N] each z of `sample_z` asks for, or None when sampling is not class-conditional."""
        return None

    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Samples from the noise z of `sample_z`, with the networks given (the EMA copies where chosen, in
        eval mode). Sampling is the objective's business: G(z) here; Langevin chains, decoders or f(z)
        elsewhere. `generator` drives any further randomness; None uses the global RNG."""
        return nets["G"](z)

    def reconstruct(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> torch.Tensor:
        """x through the encoder and back (encoder objectives and autoencoders)."""
        return self.generate(self.encode(x, nets.get(self.capabilities.encoder)), nets)

    def code_statistics(self, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> dict[str, float]:
        """Statistics of the codes of held-out data x (a quantizer's codebook usage and perplexity); none here."""
        return {}

    def extra_state(self) -> dict[str, torch.Tensor]:
        """State beyond the networks' weights kept between steps (a replay buffer, codebook statistics); it
        goes into every checkpoint, so exact resume holds without special cases."""
        return {}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restores what `extra_state` returned."""

    def measure_data(self, draw: Callable[[int], torch.Tensor]) -> None:
        """Reads statistics of the training data before a fresh run's first step (EDM's sigma_data), from
        `draw(n)`, n real items drawn on a side stream (the training stream and RNG stay untouched); what it
        measures belongs in `extra_state`, so a resumed run keeps the first measurement. Nothing here."""

    def describe_sampling(self) -> str:
        """How the last `generate` sampled, when that has a cost worth stating (a diffusion sampler's NFE); ''."""
        return ""

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor | None:
        """The critic's scalar field [N] at x (high on real), drawn as the landscape of 2-D runs; None without
        a critic (no landscape is drawn)."""
        critic = self.critic_module()
        if critic is None:
            return None
        with evaluating(critic):
            return critic(x)

    def critic_module(self) -> nn.Module | None:
        """The critic as a module x -> [N] (what gankit inspect examines), or None when there is none (also
        when it is an optional network this run does not build)."""
        return self.nets[self.capabilities.critic] if self.capabilities.critic in self.nets else None

    def critic_field(self, nets: Mapping[str, nn.Module]) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """The critic as a differentiable map x -> [N], high on real, built from the networks given (what
        `gankit refine` climbs); None where the critic is no function of x alone."""
        return nets[self.capabilities.critic] if self.capabilities.critic in nets else None

    def encoder(self, E: nn.Module | None = None) -> nn.Module:
        """E when given (e.g. the EMA copy), else this objective's own encoder network."""
        return E if E is not None else self.nets[self.capabilities.encoder]

    def encode(self, x: torch.Tensor, E: nn.Module | None = None) -> torch.Tensor:
        """Latent codes [N, z_dim] of data x such that G(codes) reconstructs x (encoder objectives only);
        by the encoder E given (e.g. its EMA copy), else by the network capabilities.encoder names."""
        raise ConfigError("this objective has no encoder")

    def penalty_terms(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, phase_step: int) -> Losses:
        """Each penalty due at this step, weighted and averaged over the batch, under its own name."""
        return {p.name: p.term(D, x_real, x_fake) for p in self.penalties if p.applies(phase_step)}


@contextlib.contextmanager
def evaluating(*modules: nn.Module):
    """Eval mode for the block, then each module's own mode back: looking at a network must not move its
    state (spectral norm's power iteration, BatchNorm's running statistics)."""
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def frozen(module: nn.Module) -> Callable:
    """The module with its parameters cut from the graph (a re-synced frozen copy, without copying): gradients
    flow through its inputs only. Buffers are cloned, so it moves no running statistic or power-iteration
    vector of the module itself."""
    params = {k: v.detach() for k, v in module.named_parameters()}
    buffers = {k: v.clone() for k, v in module.named_buffers()}
    return lambda *args, **kwargs: functional_call(module, {**params, **buffers}, args, kwargs)


def with_total(terms: Losses, **diagnostics: torch.Tensor) -> Losses:
    """terms + their sum as "total"; diagnostics are logged but not differentiated."""
    out = dict(terms)
    out["total"] = sum(terms.values())
    out.update({k: v.detach() for k, v in diagnostics.items()})
    return out
