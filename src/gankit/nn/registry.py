"""Network registries and `build_network`, which checks a config's options against the constructor."""
from __future__ import annotations

import inspect

from torch import nn

from ..errors import ConfigError
from ..registry import Registry, did_you_mean

GENERATORS: Registry = Registry("generators")
DISCRIMINATORS: Registry = Registry("discriminators")

BUILT_IN = ("spec", "z_dim")  # arguments the builder supplies, not the config


def check_options(builder, options: dict, where: str, skip: tuple[str, ...] = BUILT_IN) -> None:
    """Unknown option names and options of the wrong type raise a ConfigError naming the field."""
    params = {n: p for n, p in inspect.signature(builder).parameters.items() if n not in skip}
    for key, value in options.items():
        if key not in params:
            hint = did_you_mean(key, list(params)) or f"; it takes {', '.join(params) or 'no options'}"
            raise ConfigError(f"unknown option {where}.{key}{hint}")
        default = params[key].default
        if default is inspect.Parameter.empty or default is None:
            continue
        expected = type(default)
        ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ConfigError(f"config field {where}.{key}: expected {expected.__name__}, got {value!r}")


def build_network(registry: Registry, name: str, options: dict, where: str, **built_in) -> nn.Module:
    builder = registry.get(name)
    check_options(builder, options, where)
    return builder(**built_in, **options)
