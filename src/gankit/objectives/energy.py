"""Energy-based model trained with short-run Langevin chains and a replay buffer (IGEBM: Du & Mordatch 2019,
arXiv 1903.08689; docs/algorithms.md section 12). Energy convention: the network U is LOW on real data; the
critic gankit draws and refines with is -U (high on real)."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from ..data import DataSpec
from ..domains import AT_LEAST_0, POSITIVE, PROBABILITY, integers
from ..errors import ConfigError
from ..samplers import langevin
from .base import OBJECTIVES, Batch, Capabilities, Losses, NetworkSlot, Objective, Phase, evaluating, with_total
from .replay import ReplayBuffer


def igebm_loss(e_real: torch.Tensor, e_fake: torch.Tensor, alpha: float) -> dict[str, torch.Tensor]:
    """E U(x+) - E U(x-) + alpha (E U(x+)^2 + E U(x-)^2), both squares as in IGEBM (docs/algorithms.md section 12)."""
    return {"ebm_loss": e_real.mean() - e_fake.mean(), "l2": alpha * (e_real.pow(2).mean() + e_fake.pow(2).mean())}


class EnergyCritic:
    """For objectives whose critic is an energy network U (low on real data): the critic gankit draws,
    inspects and refines with is -U."""

    @torch.no_grad()
    def critic_value(self, x: torch.Tensor) -> torch.Tensor:
        """-U(x): high on real, as every critic gankit draws."""
        with evaluating(self.nets["U"]):
            return -self.nets["U"](x)

    def critic_module(self) -> nn.Module:
        return self.nets["U"]

    def critic_field(self, nets: Mapping[str, nn.Module]):
        return lambda x: -nets["U"](x)


@OBJECTIVES.register("ebm")
class EnergyBasedModel(EnergyCritic, Objective):
    """An energy U(x) [N] with p(x) ~ exp(-U(x)); negatives x- come from `steps` Langevin steps started from
    the replay buffer; samples are longer chains from uniform noise (or from the buffer). The chain defaults are
    the IGEBM code's CIFAR-10 flags (step_lr 10, proj_norm 0.01, noise 0.005 on [0, 1] pixels) carried to data
    on [-1, 1]: y = 2x - 1 doubles every move and the noise (0.01) and halves the gradient, so step 4 x 10 and
    clip 0.01 / 2. Not carried over: its uint8 replay buffer with dequantisation noise, its start-up rule (the
    buffer used only once it holds more than a batch) and its Adam clipping each gradient element at
    +-(3 sqrt(v) + 0.1), v the bias-corrected second moment."""

    networks = {"U": NetworkSlot("discriminator")}
    capabilities = Capabilities(penalties=True, refine="data", sampling_options=("sample_from",))
    ema_networks = ()  # the chains and the buffer follow the live U; an averaged U is another landscape
    option_domains = {  # read by registry.check_options before anything is built
        "alpha": AT_LEAST_0, "steps": integers(1, 100_000), "step_size": POSITIVE, "noise_scale": AT_LEAST_0,
        "clip_grad": AT_LEAST_0, "buffer_size": integers(1, 1 << 24), "reinit_prob": PROBABILITY,
        "init_range": POSITIVE, "sample_steps": integers(1, 1_000_000)}
    MAX_BUFFER_BYTES = 1 << 33  # 8 GiB of replay states at most

    def __init__(self, networks: dict[str, nn.Module], z_dim: int, spec: DataSpec, penalties=(),
                 alpha: float = 1.0, steps: int = 60, step_size: float = 40.0, noise_scale: float = 0.01,
                 clip_grad: float = 0.005, mala: bool = False, buffer_size: int = 10000, reinit_prob: float = 0.05,
                 init_range: float = 1.0, sample_steps: int = 100, sample_from: str = "noise"):
        super().__init__(networks, z_dim, penalties)
        if sample_from not in ("noise", "buffer"):
            raise ConfigError(f"objective.options.sample_from: {sample_from!r}; choose noise or buffer")
        if not 0 <= reinit_prob <= 1:
            raise ConfigError(f"objective.options.reinit_prob: {reinit_prob} is not a probability")
        if buffer_size * 4 * spec.dim > self.MAX_BUFFER_BYTES:
            raise ConfigError(f"config field objective.options.buffer_size: {buffer_size} states of shape {list(spec.shape)} "
                              f"take {buffer_size * 4 * spec.dim / 1e9:.3g} GB; at most {self.MAX_BUFFER_BYTES // (4 * spec.dim)}")
        self.shape, self.alpha, self.init_range = spec.shape, alpha, init_range
        self.clamp = (-1.0, 1.0) if spec.bounded else None  # chains stay in the data range
        self.chain = {"step_size": step_size, "noise_scale": noise_scale,
                      "clip_grad": clip_grad or None, "mala": mala}
        self.steps, self.sample_steps, self.sample_from = steps, sample_steps, sample_from
        self.buffer = ReplayBuffer(buffer_size, reinit_prob)

    def phases(self) -> list[Phase]:
        return [Phase("U", ("U",), "critic", self.energy_loss)]

    def sample_z(self, n: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """Uniform noise on [-init_range, init_range] in the data's shape [n, *shape]: where chains start."""
        u = torch.rand(n, *self.shape, generator=generator)
        return ((2 * u - 1) * self.init_range).to(device)

    def run_chains(self, U: nn.Module, x0: torch.Tensor, steps: int, generator=None, trace=False):
        """Langevin on U from x0 with this objective's chain settings -> (x, info)."""
        with evaluating(U):  # looking at U must not move it (spectral norm's power iteration)
            return langevin(U, x0, steps, self.chain["step_size"], self.chain["noise_scale"],
                            clip_grad=self.chain["clip_grad"], clamp=self.clamp, mala=self.chain["mala"],
                            generator=generator, trace=trace)

    def energy_loss(self, batch: Batch) -> Losses:
        U = self.nets["U"]
        x_start = self.buffer.draw(batch.z)  # batch.z: fresh noise for the restarted chains
        x_fake, info = self.run_chains(U, x_start, self.steps)
        self.buffer.push(x_fake)
        e_real, e_fake = U(batch.x), U(x_fake)  # [N], [N]; x_fake carries no graph
        terms = igebm_loss(e_real, e_fake, self.alpha)
        terms.update(self.penalty_terms(U, batch.x, x_fake, batch.phase_step))
        extra = {"acceptance": torch.tensor(info["acceptance"])} if "acceptance" in info else {}
        return with_total(terms, energy_real=e_real.mean(), energy_fake=e_fake.mean(),
                          energy_chain_start=info["energy"][0], **extra)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, nets: Mapping[str, nn.Module],
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """`sample_steps` Langevin steps from the noise z, or (sample_from: buffer) from len(z) buffer states."""
        x0 = z
        if self.sample_from == "buffer" and self.buffer.size:
            x0 = self.buffer.sample(len(z), generator).to(z.device)
        return self.run_chains(nets["U"], x0, self.sample_steps, generator)[0]

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {f"buffer.{k}": v for k, v in self.buffer.state().items()}

    def load_extra_state(self, tensors: dict[str, torch.Tensor]) -> None:
        device = next(self.nets["U"].parameters()).device
        self.buffer.load_state({k[len("buffer."):]: v for k, v in tensors.items() if k.startswith("buffer.")}, device)
