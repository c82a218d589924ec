"""Option domains: what values an option of an objective, quantizer, penalty or network may take, declared
beside the option as a class attribute `option_domains = {name: Domain}`; registry.check_options reads the
table while the config is checked, before anything is built or created. A declared integer domain replaces
the generic bound on integer options (registry.MAX_INT_OPTION), so a large legitimate value (a replay buffer
of 200,000) can be declared so."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Domain:
    words: str                      # "a number >= 0", as the error message says it
    holds: Callable[[Any], bool]    # the test, on a value of the option's type
    integer: bool = False           # an integer domain: replaces the generic integer bound


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


AT_LEAST_0 = Domain("a number >= 0", lambda v: _number(v) and v >= 0)
POSITIVE = Domain("a number > 0", lambda v: _number(v) and v > 0)
PROBABILITY = Domain("a probability in [0, 1]", lambda v: _number(v) and 0 <= v <= 1)
UNIT_OPEN_RIGHT = Domain("a value in [0, 1)", lambda v: _number(v) and 0 <= v < 1)


def integers(low: int, high: int) -> Domain:
    return Domain(f"an integer from {low} to {high}", lambda v: _integer(v) and low <= v <= high, integer=True)


def integer_list(low: int, high: int, max_length: int = 64) -> Domain:
    """A non-empty list of integers, each in [low, high]."""
    return Domain(f"a list of 1 to {max_length} integers, each from {low} to {high}",
                  lambda v: isinstance(v, (list, tuple)) and 0 < len(v) <= max_length
                  and all(_integer(x) and low <= x <= high for x in v))


def domains_of(builder) -> dict[str, Domain]:
    """The builder's declared table, its base classes' entries included (a subclass may override one)."""
    table: dict[str, Domain] = {}
    for cls in reversed(getattr(builder, "__mro__", (builder,))):
        table.update(vars(cls).get("option_domains", {}) if isinstance(cls, type) else {})
    if not isinstance(builder, type):
        table.update(getattr(builder, "option_domains", {}))
    return table
