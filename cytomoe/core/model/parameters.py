"""What each estimator parameter accepts, declared beside its default and checked in one place.

``MoESimVAE.__init__`` annotates every setting as ``Annotated[type, bound]`` (e.g.
``Annotated[int, Between(1, 1_000)]``). :func:`check_setting` reads that annotation, so the
estimator's ``fit``, ``ModelSettings`` (analysis files, the CLI, the app) and model files
refuse the same values with the same sentence, before anything is allocated.
"""

import math
import numbers
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cytomoe.core.errors import InputError


class InvalidSetting(InputError):
    """A setting outside what it accepts; ``name`` and ``problem`` let each caller say where
    it came from (an analysis file's key, a command-line option)."""

    def __init__(self, name: str, problem: str):
        self.name = name
        self.problem = problem
        super().__init__(f"The model setting '{name}' {problem}.")


@dataclass(frozen=True)
class Between:
    """A number from ``low`` to ``high``; ``low`` itself is excluded when ``above`` is set."""

    low: float
    high: float
    above: bool = False

    def holds(self, value: float) -> bool:
        low_ok = value > self.low if self.above else value >= self.low
        return low_ok and value <= self.high  # False for NaN

    def describe(self) -> str:
        low, high = _number(self.low), _number(self.high)
        return f"above {low} and at most {high}" if self.above else f"from {low} to {high}"


@dataclass(frozen=True)
class Length:
    """A list with ``low`` to ``high`` entries."""

    low: int
    high: int


@dataclass(frozen=True)
class Satisfies:
    """Text that ``accepts`` allows; ``description`` says what in words."""

    accepts: Callable[[str], bool]
    description: str


def check_setting(name: str, value: Any, annotation: Any) -> None:
    """Raise :class:`InvalidSetting` unless ``value`` fits ``annotation`` (module docstring)."""
    problem = _problem(value, annotation)
    if problem is not None:
        raise InvalidSetting(name, f"must be {problem}, not {_show(value)}")


def bounds_of(annotation: Any) -> tuple[type, list[Any], bool]:
    """(base type, its bounds, whether None is allowed) of an ``Annotated`` setting."""
    if typing.get_origin(annotation) is not typing.Annotated:
        raise TypeError(f"{annotation} is not an Annotated setting")
    base, *bounds = typing.get_args(annotation)
    optional = False
    if isinstance(base, types.UnionType) or typing.get_origin(base) is typing.Union:
        members = [t for t in typing.get_args(base) if t is not type(None)]
        optional, base = len(members) < len(typing.get_args(base)), members[0]
    return base, bounds, optional


def _problem(value: Any, annotation: Any) -> str | None:
    """What ``value`` should have been, in words, or None when it fits."""
    base, bounds, optional = bounds_of(annotation)
    between = next((b for b in bounds if isinstance(b, Between)), None)
    if typing.get_origin(base) is tuple:
        length = next(b for b in bounds if isinstance(b, Length))
        wanted = f"a list of {length.low} to {length.high} whole numbers {between.describe()}"
        fits = (
            isinstance(value, list | tuple)
            and length.low <= len(value) <= length.high
            and all(_is_whole(v) and between.holds(v) for v in value)
        )
    elif base is str:
        satisfies = next(b for b in bounds if isinstance(b, Satisfies))
        wanted = satisfies.description
        fits = isinstance(value, str) and satisfies.accepts(value)
    else:
        whole = base is int
        wanted = f"{'a whole number' if whole else 'a number'} {between.describe()}"
        is_kind = _is_whole(value) if whole else _is_real(value)
        fits = is_kind and between.holds(value)
    if optional:
        wanted += " or left out (automatic)"
        fits = fits or value is None
    return None if fits else wanted


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 1_000:
        return f"{int(value):,}"
    return f"{value:g}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return repr(value) if not isinstance(value, list | tuple) else str(list(value))
