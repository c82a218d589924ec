"""Network registries and `build_network`, which checks a config's options against the constructor."""
from __future__ import annotations

from torch import nn

from ..registry import Registry, check_options

GENERATORS: Registry = Registry("generators")
DISCRIMINATORS: Registry = Registry("discriminators")


def build_network(registry: Registry, name: str, options: dict, where: str, **built_in) -> nn.Module:
    builder = registry.get(name)
    check_options(builder, options, where, skip=("spec", "z_dim"))  # those the builder supplies
    return builder(**built_in, **options)
