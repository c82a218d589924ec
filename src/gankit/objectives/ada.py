"""Adaptive discriminator augmentation (ADA; Karras et al. 2020, arXiv 2006.06676, section 3; docs/algorithms.md
section 24): every image the critic sees, real and generated, in both phases, goes through the groups of
ada.pipeline, each applied per image with probability p; p follows the overfitting heuristic
r_t = E[sign(D(x_real))] toward ada.target. Like DiffAugment it is a forward pre-hook on the critic, active in
training mode only; the critic phases report E[sign(D(x_real))] as the diagnostic `d_real_sign` (objectives
whose capabilities declare real_sign), and the trainer hands every phase's losses to `observe`."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config_checks import ADA_GROUPS
from ..errors import CheckpointError, ConfigError
from .ada_colour import colour
from .ada_transforms import GENERAL_GROUPS, INTEGER_GROUPS, general_geometry, integer_geometry
from .base import REAL_SIGN, Batch


def parse_pipeline(pipeline: str) -> list[str]:
    """The group names of ada.pipeline ('xflip,rotate90,...'); an unknown one is a ConfigError listing them."""
    names = [name.strip() for name in pipeline.split(",") if name.strip()]
    for name in names:
        if name not in ADA_GROUPS:
            raise ConfigError(f"config field ada.pipeline: unknown group {name!r}; choose from {', '.join(ADA_GROUPS)}")
    return names


def augment(x: torch.Tensor, p: float, groups: list[str]) -> torch.Tensor:
    """x [N, C, H, W] through the groups in the paper's order, each per image with probability p; p = 0 is the
    identity (no draw at all)."""
    if p <= 0:
        return x
    if any(name in groups for name in INTEGER_GROUPS):
        x = integer_geometry(x, p, groups)
    if any(name in groups for name in GENERAL_GROUPS):
        x = general_geometry(x, p, groups)
    return colour(x, p, groups)


class AdaptiveAugment:
    """p and the running sum of sign(D(x_real)) since the last adjustment; checkpointed with the experiment.
    Every ada.interval iterations: r_t = the mean sign over the images counted, and
    p <- clamp(p + sign(r_t - target) x images / speed_images, 0, 1), images = the real images D scored
    meanwhile (batch x interval in the paper, where D sees one real batch per iteration)."""

    def __init__(self, cfg, groups: list[str]):
        self.target, self.interval, self.speed_images = cfg.target, cfg.interval, cfg.speed_images
        self.warmup_steps = cfg.warmup_steps
        self.groups = groups
        self.p = float(cfg.p_init)
        self.r_t = math.nan            # the last adjustment's r_t (nan before the first)
        self.sign_sum = torch.zeros((), dtype=torch.float64)  # sum over images of sign(D(x_real)) since then
        self.count = 0                 # real images in that sum

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return augment(x, self.p, self.groups)

    def observe(self, losses: dict[str, torch.Tensor], batch: Batch) -> None:
        """A phase's losses: those holding d_real_sign (critic phases) add its batch of real images to r_t."""
        if REAL_SIGN in losses and batch.x is not None:  # summed where the loss lives, read once per ada.interval
            self.sign_sum = losses[REAL_SIGN].detach().double() * len(batch.x) + self.sign_sum  # a 0-d CPU sum: no copy
            self.count += len(batch.x)

    def adjust(self, step: int, world_size: int = 1, mean_across_ranks=None) -> None:
        """At every ada.interval-th iteration: r_t from the images since the last adjustment (averaged over
        the processes, which score equal shares), p moved toward keeping r_t at the target (after
        ada.warmup_steps iterations; r_t is measured before too)."""
        if step % self.interval or not self.count:
            return
        r_t = self.sign_sum.cpu() / self.count
        if mean_across_ranks is not None:
            r_t = mean_across_ranks({"r_t": r_t})["r_t"]
        self.r_t = float(r_t)
        step_size = self.count * world_size / self.speed_images
        direction = (self.r_t > self.target) - (self.r_t < self.target)  # sign(r_t - target)
        if step > self.warmup_steps:
            self.p = min(1.0, max(0.0, self.p + direction * step_size))
        self.sign_sum, self.count = torch.zeros((), dtype=torch.float64), 0

    def scalars(self) -> dict[str, torch.Tensor]:
        """What the loss lines log: ada/p, and ada/r_t once it has been measured."""
        out = {"ada/p": torch.tensor(self.p, dtype=torch.float64)}
        if not math.isnan(self.r_t):
            out["ada/r_t"] = torch.tensor(self.r_t, dtype=torch.float64)
        return out

    def state(self) -> dict[str, torch.Tensor]:
        return {"ada.p": torch.tensor(self.p, dtype=torch.float64),
                "ada.r_t": torch.tensor(self.r_t, dtype=torch.float64),
                "ada.sign_sum": self.sign_sum.cpu().clone(), "ada.count": torch.tensor(self.count)}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restores what `state` gave; a checkpoint without it (ADA turned on at resume) starts from p_init."""
        if "ada.p" not in tensors:
            return
        keys = ("ada.p", "ada.r_t", "ada.sign_sum", "ada.count")
        if any(tensors.get(k) is None or tensors[k].numel() != 1 for k in keys) \
                or not 0 <= float(tensors["ada.p"]) <= 1 or int(tensors["ada.count"]) < 0:
            raise CheckpointError("the checkpoint's ada.* tensors are not an ADA state (p in [0, 1], a count >= 0)")
        self.p, self.r_t = float(tensors["ada.p"]), float(tensors["ada.r_t"])
        self.sign_sum, self.count = tensors["ada.sign_sum"].double().clone(), int(tensors["ada.count"])


def attach_ada(objective, cfg, shape: tuple[int, ...]) -> AdaptiveAugment | None:
    """The ADA controller hooked onto the objective's critic when ada.target > 0, else None; ConfigErrors for
    vector data (`shape`: one item's), an objective without a critic or without d_real_sign, quarter turns of
    oblong images, and DiffAugment at the same time."""
    if cfg.ada.target <= 0:
        return None
    from . import names_with

    caps, name = objective.capabilities, cfg.objective.name
    if len(shape) != 3:
        raise ConfigError("config field ada.target: ADA transforms images; this dataset gives vectors "
                          "(set ada.target=0)")
    groups = parse_pipeline(cfg.ada.pipeline)
    if "rotate90" in groups and shape[1] != shape[2]:
        raise ConfigError(f"config field ada.pipeline: rotate90 turns square images; these are {shape[1]}x{shape[2]} "
                          "(leave rotate90 out)")
    if caps.critic not in objective.nets or not caps.real_sign:
        raise ConfigError(f"config field ada.target: objective {name!r} reports no E[sign(D(x_real))] from a critic "
                          f"(ADA's overfitting heuristic); objectives that do: {names_with(lambda c: c.real_sign)}")
    if cfg.augment:
        raise ConfigError(f"config field ada.target: ADA and DiffAugment (augment={cfg.augment}) both augment the "
                          "critic's inputs; choose one (ada.target=0 or augment='')")
    controller = AdaptiveAugment(cfg.ada, groups)

    def augment_inputs(module: nn.Module, args: tuple):
        if not module.training:
            return None
        return (controller(args[0]), *args[1:])

    objective.nets[caps.critic].register_forward_pre_hook(augment_inputs)
    return controller
