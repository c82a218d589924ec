"""Network registries and `build_network`, which checks a config's options against the constructor."""
from __future__ import annotations

from torch import nn

from ..registry import Registry, check_options

GENERATORS: Registry = Registry("generators")          # z [N, z_dim] -> x
DISCRIMINATORS: Registry = Registry("discriminators")  # x -> [N]
ENCODERS: Registry = Registry("encoders")              # x -> [N, outputs]
JOINT_CRITICS: Registry = Registry("joint critics")    # (x, z) -> [N], BiGAN's discriminator
DATA_MAPS: Registry = Registry("data maps")            # x -> x of the same shape, IGN's f
DENOISERS: Registry = Registry("denoisers")            # (x, c_noise [N]) -> x of the same shape, EDM's F


def build_network(registry: Registry, name: str, options: dict, where: str, **built_in) -> nn.Module:
    builder = registry.get(name)
    check_options(builder, options, where, skip=tuple(built_in))  # those the builder is given, not configured
    return builder(**built_in, **options)
