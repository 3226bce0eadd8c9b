"""Value checks with the messages every layer uses: ranges, flags and choices.

A check is an immutable description of the values a field accepts; ``reason(value)``
returns why ``value`` is not accepted, or ``None``. The kernel's table of parameter
ranges (:data:`sweeplib.sim.params.PARAMETER_CHECKS`) is written with these, and the
sweep dimensions of a request (:mod:`sweeplib.dimensions`) reuse its entries, so a
range is written once and the kernel and the API say the same thing about a bad value.

Checks are strict about JSON types: ``True`` is not a number, ``2.0`` is not an integer,
``"2"`` is neither, and NaN or ±Infinity is never a number.

Pure, stdlib only; imports nothing from sweeplib (the kernel uses it).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Check",
    "Choice",
    "Flag",
    "IntRange",
    "RealRange",
    "describe_value",
    "render_int",
    "short_repr",
]

_FLOAT_MAX = int(sys.float_info.max)


class Check(Protocol):
    """Describes accepted values; ``reason`` says why one is not, or returns ``None``."""

    def reason(self, value: object) -> str | None: ...


def describe_value(value: object) -> str:
    """Describe a JSON value for an error message: its JSON type and a short rendering.

    >>> describe_value("2")
    "string '2'"
    >>> describe_value(True)
    'boolean true'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {render_int(value)}"
    if isinstance(value, float):
        return f"number {_render_float(value)}"
    if isinstance(value, str):
        return f"string {short_repr(value)}"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def render_int(value: int, limit: int = 30) -> str:
    """Render an integer for a message: in full, or by its digit count when very long."""
    digits = str(abs(value))
    if len(digits) <= limit:
        return str(value)
    return f"{'-' if value < 0 else ''}<{len(digits)} digits>"


def short_repr(text: str, limit: int = 40) -> str:
    """``repr`` of ``text``, cut at ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _render_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _bound(number: float) -> str:
    return str(int(number)) if number == int(number) else repr(number)


@dataclass(frozen=True, slots=True)
class IntRange:
    """Unsigned integers in ``[low, high]`` (``None`` too when ``nullable``)."""

    low: int
    high: int
    nullable: bool = False

    def reason(self, value: object) -> str | None:
        """Why ``value`` is not accepted, or ``None``."""
        if value is None and self.nullable:
            return None
        # bool is a subclass of int in Python; JSON true/false are not integers.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            expected = "an unsigned integer or null" if self.nullable else "an unsigned integer"
            return f"must be {expected}, got {describe_value(value)}"
        if value < self.low:
            return f"must be ≥ {self.low}, got {value}"
        if value > self.high:
            return f"must be ≤ {self.high}, got {render_int(value)}"
        return None

    def with_nulls(self) -> IntRange:
        """The same range, ``None`` accepted too."""
        return IntRange(self.low, self.high, nullable=True)


@dataclass(frozen=True, slots=True)
class RealRange:
    """Finite numbers ``≥ low`` (``> low`` when ``low_open``), ``≤ high`` when given."""

    low: float = -math.inf
    high: float | None = None
    low_open: bool = False
    nullable: bool = False

    def reason(self, value: object) -> str | None:
        """Why ``value`` is not accepted, or ``None``; integers are numbers too."""
        if value is None and self.nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            expected = "a number or null" if self.nullable else "a number"
            return f"must be {expected}, got {describe_value(value)}"
        if isinstance(value, int) and abs(value) > _FLOAT_MAX:
            # Beyond any 64-bit float: the kernel could not use it.
            return f"must be a number representable as a 64-bit float, got {render_int(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {_render_float(value)}"
        shown = render_int(value) if isinstance(value, int) else _render_float(value)
        low, high = self.low, self.high
        if high is not None and not low <= value <= high:
            return f"must be in [{_bound(low)}, {_bound(high)}], got {shown}"
        if self.low_open and not value > low:
            return f"must be > {_bound(low)}, got {shown}"
        if not value >= low:
            return f"must be ≥ {_bound(low)}, got {shown}"
        return None


@dataclass(frozen=True, slots=True)
class Flag:
    """A boolean (``None`` too when ``nullable``)."""

    nullable: bool = False

    def reason(self, value: object) -> str | None:
        """Why ``value`` is not accepted, or ``None``."""
        if isinstance(value, bool) or (value is None and self.nullable):
            return None
        return f"must be a boolean, got {describe_value(value)}"


@dataclass(frozen=True, slots=True)
class Choice:
    """One of a set of names, case-insensitively (ASCII only); ``options`` maps every
    accepted spelling, lower-case, to its canonical name."""

    options: Mapping[str, str]

    def canonical(self, value: object) -> str | None:
        """The canonical name of ``value``, or ``None`` if it is not accepted."""
        # ASCII only: str.lower() maps a few non-ASCII letters (e.g. the Kelvin sign) to ASCII.
        if not isinstance(value, str) or not value.isascii():
            return None
        return self.options.get(value.lower())

    def reason(self, value: object) -> str | None:
        """Why ``value`` is not accepted, or ``None``."""
        if self.canonical(value) is not None:
            return None
        names = ", ".join(dict.fromkeys(self.options.values()))
        shown = short_repr(value) if isinstance(value, str) else describe_value(value)
        return f"must be one of {names} (case-insensitive), got {shown}"
