"""Name -> object registries behind every name the config and the CLI accept."""
from __future__ import annotations

import difflib
import inspect
import math
from typing import Callable, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


SIMILARITY_CUTOFF = 0.75  # difflib's ratio 2M/T: a one-letter slip in a word of 5 or more letters reaches it


def did_you_mean(name: str, choices: list[str]) -> str:
    """'; did you mean 'x'?' when a choice is close to name: one edit away (a letter added, dropped, changed,
    or two neighbours swapped; case ignored), or at least SIMILARITY_CUTOFF similar by difflib's ratio; ''
    otherwise, so the caller's pointer to the list stands alone rather than beside a far-fetched guess."""
    close = difflib.get_close_matches(name, choices, n=len(choices), cutoff=0.0)  # most similar first
    for choice in close:
        ratio = difflib.SequenceMatcher(None, name, choice).ratio()
        if ratio >= SIMILARITY_CUTOFF or one_edit_apart(name.lower(), choice.lower()):
            return f"; did you mean {choice!r}?"
    return ""


def one_edit_apart(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    a_rest, b_rest = a[start:], b[start:]
    return (a_rest[1:] == b_rest[1:] or a_rest[1:] == b_rest or a_rest == b_rest[1:]
            or (len(a_rest) >= 2 and a_rest[:2] == b_rest[1::-1] and a_rest[2:] == b_rest[2:]))


class Registry(Generic[T]):
    """A named collection of builders; `get` fails with the closest valid name."""

    def __init__(self, kind: str):
        self.kind = kind  # plural noun used in messages and `gankit list KIND`
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind}: {name!r} registered twice")
            self._items[name] = item
            return item

        return add

    def get(self, name: str) -> T:
        if name not in self._items:
            hint = did_you_mean(name, self.names())
            raise ConfigError(f"unknown {self.kind[:-1]} {name!r}{hint} (gankit list {self.kind})")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)



def check_options(builder, options: dict, where: str, skip: tuple[str, ...] = ()) -> None:
    """Unknown option names, options of the wrong type and values outside the builder's declared domain
    (domains.py) raise a ConfigError naming the field."""
    from .domains import domains_of

    params = {n: p for n, p in inspect.signature(builder).parameters.items() if n not in skip}
    declared = domains_of(builder)
    for key, value in options.items():
        if key not in params:
            hint = did_you_mean(key, list(params)) or f"; it takes {', '.join(params) or 'no options'}"
            raise ConfigError(f"unknown option {where}.{key}{hint}")
        default = params[key].default
        typed = default is not inspect.Parameter.empty and default is not None
        if typed:
            check_option_type(value, default, f"{where}.{key}")
        domain = declared.get(key)
        if typed and not (domain is not None and domain.integer):  # a declared integer range replaces the cap
            check_option_range(value, default, f"{where}.{key}")
        if domain is not None and not (value is None and default is None) and not domain.holds(value):
            raise ConfigError(f"config field {where}.{key}: expected {domain.words}, got {value!r}")


def check_option_type(value, default, where: str) -> None:
    expected = type(default)
    ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ConfigError(f"config field {where}: expected {expected.__name__}, got {value!r}")


MAX_INT_OPTION = 1 << 16  # widths, depths, iterations: far above any sensible value, far below a memory bomb


def check_option_range(value, default, where: str) -> None:
    """Numbers: floats finite; integers whose default is positive at least 1 (a width, a depth), others at
    least 0, and all at most MAX_INT_OPTION."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config field {where}: expected a finite number, got {value}")
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(default, int):
        low = 1 if default > 0 else 0
        if not low <= value <= MAX_INT_OPTION:
            raise ConfigError(f"config field {where}: expected an integer from {low} to {MAX_INT_OPTION}, got {value}")
