"""The sweep dimensions a request may vary, and the check of every value (DESIGN §3.1).

A dimension is a kernel parameter named in a request's ``dimensions`` object. Its
values are raw JSON scalars, validated strictly: ``"2"`` is not an integer, ``true``
is not a number, ``2.0`` is not an unsigned integer, and NaN or ±Infinity is never a
number. Integers are accepted where a number is required. Values are *kept as given*
(the request fingerprint covers them verbatim); :func:`canonical_matching_algorithm`
and :func:`canonical_traffic_profile` map the two string dimensions to the names the
kernel uses when a point is run.

This module is pure: values in, ``None`` or :class:`~sweeplib.errors.InvalidRequest` out.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias, TypeVar

from sweeplib.errors import InvalidRequest

__all__ = [
    "DIMENSIONS",
    "DIMENSION_NAMES",
    "DimensionSpec",
    "JSONScalar",
    "MatchingAlgorithmName",
    "TrafficProfileName",
    "canonical_matching_algorithm",
    "canonical_traffic_profile",
    "describe_json_value",
    "render_int",
    "validate_dimension_name",
    "validate_dimension_value",
]

#: A JSON scalar as :func:`json.loads` returns it.
JSONScalar: TypeAlias = bool | int | float | str | None

MatchingAlgorithmName = Literal["simple", "cost_based", "hungarian"]
TrafficProfileName = Literal["none", "berlin"]

U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1
_FLOAT_MAX = int(sys.float_info.max)
#: ``simulation_duration_hours`` sets the kernel's end time to h × 3,600,000 ms, a u64.
MAX_DURATION_HOURS = U64_MAX // 3_600_000

_MATCHING_ALGORITHMS: Mapping[str, MatchingAlgorithmName] = MappingProxyType(
    {
        "simple": "simple",
        "cost_based": "cost_based",
        "costbased": "cost_based",
        "cost-based": "cost_based",
        "hungarian": "hungarian",
    }
)
_TRAFFIC_PROFILES: Mapping[str, TrafficProfileName] = MappingProxyType(
    {"none": "none", "berlin": "berlin"}
)

_Name = TypeVar("_Name", bound=str)

# A check returns the reason a value is invalid, or None when it is valid.
_Check = Callable[[object], "str | None"]


@dataclass(frozen=True)
class DimensionSpec:
    """One accepted dimension: its name, its JSON type and what it controls.

    Attributes
    ----------
    name : str
        The key used in a request's ``dimensions`` object.
    value_type : str
        The accepted values, e.g. ``"unsigned integer ≤ 4294967295"``.
    description : str
        What the value changes in the simulation (for docs and ``--help``).
    check : callable
        ``check(value)`` returns why ``value`` is invalid, or ``None``; prefer
        :func:`validate_dimension_value`, which raises with the right field.
    """

    name: str
    value_type: str
    description: str
    check: _Check = field(repr=False, compare=False)


def describe_json_value(value: object) -> str:
    """Describe a JSON value for an error message: its JSON type and a short rendering.

    >>> describe_json_value("2")
    "string '2'"
    >>> describe_json_value(True)
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
        return f"string {_short_repr(value)}"
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


def _render_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _short_repr(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _unsigned_int(minimum: int, maximum: int, *, nullable: bool = False) -> _Check:
    expected = "an unsigned integer or null" if nullable else "an unsigned integer"

    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        # bool is a subclass of int in Python; JSON true/false are not integers.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"must be {expected}, got {describe_json_value(value)}"
        if value < minimum:
            return f"must be ≥ {minimum}, got {value}"
        if value > maximum:
            return f"must be ≤ {maximum}, got {render_int(value)}"
        return None

    return check


def _number(
    low: float, high: float | None = None, *, low_open: bool = False, nullable: bool = False
) -> _Check:
    expected = "a number or null" if nullable else "a number"

    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be {expected}, got {describe_json_value(value)}"
        if isinstance(value, int) and abs(value) > _FLOAT_MAX:
            # Beyond any 64-bit float: the kernel could not use it.
            return f"must be a number representable as a 64-bit float, got {render_int(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {_render_float(value)}"
        shown = render_int(value) if isinstance(value, int) else _render_float(value)
        if high is not None and not low <= value <= high:
            return f"must be in [{_bound(low)}, {_bound(high)}], got {shown}"
        if low_open and not value > low:
            return f"must be > {_bound(low)}, got {shown}"
        if not value >= low:
            return f"must be ≥ {_bound(low)}, got {shown}"
        return None

    return check


def _bound(number: float) -> str:
    return str(int(number)) if number == int(number) else repr(number)


def _boolean(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    return f"must be a boolean, got {describe_json_value(value)}"


def _choice(options: Mapping[str, str]) -> _Check:
    canonical = ", ".join(dict.fromkeys(options.values()))
    expected = f"must be one of {canonical} (case-insensitive)"

    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"{expected}, got {describe_json_value(value)}"
        if _lookup(options, value) is None:
            return f"{expected}, got {_short_repr(value)}"
        return None

    return check


def _lookup(options: Mapping[str, _Name], value: object) -> _Name | None:
    # ASCII only: str.lower() maps a few non-ASCII letters (e.g. the Kelvin sign) to ASCII.
    if not isinstance(value, str) or not value.isascii():
        return None
    return options.get(value.lower())


def _spec(name: str, value_type: str, description: str, check: _Check) -> DimensionSpec:
    return DimensionSpec(name=name, value_type=value_type, description=description, check=check)


_SPECS = (
    _spec(
        "base_fare",
        "number ≥ 0",
        "fixed part of every fare (currency units; default 2.50)",
        _number(0.0),
    ),
    _spec(
        "base_speed_kmh",
        "number > 0, or null",
        "driver speed centre: speeds are drawn from [max(b−10, 5), b+10] km/h "
        "(null: the default range [20, 60])",
        _number(0.0, low_open=True, nullable=True),
    ),
    _spec(
        "batch_interval_secs",
        "unsigned integer ≥ 1",
        "seconds between batch matching runs (default 5)",
        _unsigned_int(1, U64_MAX),
    ),
    _spec(
        "batch_matching_enabled",
        "boolean",
        "match riders in periodic batches (true, the default) or one by one",
        _boolean,
    ),
    _spec(
        "commission_rate",
        "number in [0, 1]",
        "platform share of each fare (default 0.0)",
        _number(0.0, 1.0),
    ),
    _spec(
        "dynamic_congestion_enabled",
        "boolean",
        "slow drivers down in dense cells (only effective when num_riders + num_drivers > 200)",
        _boolean,
    ),
    _spec(
        "epoch_ms",
        f"unsigned integer ≤ {I64_MAX}, or null",
        "wall-clock UTC milliseconds of simulation time 0; drives time-of-day demand and "
        "traffic (null: 0 = Thursday 1970-01-01 00:00 UTC)",
        _unsigned_int(0, I64_MAX, nullable=True),
    ),
    _spec(
        "eta_weight",
        "number ≥ 0",
        "weight of pickup ETA in cost-based and Hungarian matching scores (default 0.1)",
        _number(0.0),
    ),
    _spec(
        "match_radius",
        f"unsigned integer ≤ {U32_MAX}",
        "maximum H3 grid distance between rider and driver (default 0: same cell only)",
        _unsigned_int(0, U32_MAX),
    ),
    _spec(
        "matching_algorithm_type",
        "string: simple, cost_based (also costbased, cost-based) or hungarian; case-insensitive",
        "matching algorithm (default hungarian)",
        _choice(_MATCHING_ALGORITHMS),
    ),
    _spec(
        "num_drivers",
        f"unsigned integer ≤ {U64_MAX}",
        "number of drivers spawned over the driver spread window (default 100)",
        _unsigned_int(0, U64_MAX),
    ),
    _spec(
        "num_riders",
        f"unsigned integer ≤ {U64_MAX}",
        "number of riders spawned over the request window (default 500)",
        _unsigned_int(0, U64_MAX),
    ),
    _spec(
        "per_km_rate",
        "number ≥ 0",
        "fare per kilometre of trip distance (default 1.50)",
        _number(0.0),
    ),
    _spec(
        "simulation_duration_hours",
        f"unsigned integer in [1, {MAX_DURATION_HOURS}], or null",
        "simulated hours: the run ends at h × 3,600,000 ms, absolute "
        "(null: request window + 2 h = 3 h)",
        _unsigned_int(1, MAX_DURATION_HOURS, nullable=True),
    ),
    _spec(
        "surge_enabled",
        "boolean",
        "multiply fares by local demand/supply (default false)",
        _boolean,
    ),
    _spec(
        "surge_max_multiplier",
        "number ≥ 1",
        "cap of the surge multiplier (default 2.0)",
        _number(1.0),
    ),
    _spec(
        "surge_radius_k",
        f"unsigned integer ≤ {U32_MAX}",
        "H3 grid-disk radius over which surge counts demand and supply (default 1)",
        _unsigned_int(0, U32_MAX),
    ),
    _spec(
        "traffic_profile",
        "string: none or berlin; case-insensitive",
        "hourly speed factors (default none)",
        _choice(_TRAFFIC_PROFILES),
    ),
)

#: Every accepted dimension, by name (sorted).
DIMENSIONS: Mapping[str, DimensionSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})

#: The accepted dimension names, sorted (the order points are enumerated in).
DIMENSION_NAMES: tuple[str, ...] = tuple(sorted(DIMENSIONS))


def validate_dimension_name(name: object) -> str:
    """Check that ``name`` is an accepted dimension name.

    Parameters
    ----------
    name : object
        A key of a request's ``dimensions`` object.

    Returns
    -------
    str
        ``name``, typed as ``str``.

    Raises
    ------
    InvalidRequest
        ``field`` is ``dimensions.<name>``; the reason lists the accepted names.
    """
    if not isinstance(name, str):
        raise InvalidRequest("dimensions", f"dimension names must be strings, got {name!r}")
    if name not in DIMENSIONS:
        accepted = ", ".join(DIMENSION_NAMES)
        raise InvalidRequest(f"dimensions.{name}", f"unknown dimension; accepted: {accepted}")
    return name


def validate_dimension_value(name: str, value: object, index: int | None = None) -> None:
    """Check one value of a dimension against its JSON type and range.

    Parameters
    ----------
    name : str
        An accepted dimension name (see :data:`DIMENSION_NAMES`).
    value : object
        The raw JSON value, as :func:`json.loads` produced it.
    index : int, optional
        The value's position in the dimension's list; it appears in the error field.

    Raises
    ------
    InvalidRequest
        For an unknown ``name`` (``field`` = ``dimensions.<name>``) or an invalid
        value (``field`` = ``dimensions.<name>[<index>]``, or ``dimensions.<name>``
        without ``index``), with a reason such as
        ``"must be in [0, 1], got 1.5"``.
    """
    spec = DIMENSIONS[validate_dimension_name(name)]
    reason = spec.check(value)
    if reason is not None:
        field = f"dimensions.{name}" if index is None else f"dimensions.{name}[{index}]"
        raise InvalidRequest(field, reason)


def canonical_matching_algorithm(value: str) -> MatchingAlgorithmName:
    """Map an accepted ``matching_algorithm_type`` spelling to the kernel's name.

    ``"Cost-Based"``, ``"costbased"`` and ``"COST_BASED"`` all give ``"cost_based"``.

    Raises
    ------
    InvalidRequest
        ``field`` ``dimensions.matching_algorithm_type`` when ``value`` is not accepted.
    """
    canonical = _lookup(_MATCHING_ALGORITHMS, value)
    if canonical is None:
        raise _rejected("matching_algorithm_type", value)
    return canonical


def canonical_traffic_profile(value: str) -> TrafficProfileName:
    """Map an accepted ``traffic_profile`` spelling (``"Berlin"``, ``"NONE"``…) to its kernel name.

    Raises
    ------
    InvalidRequest
        ``field`` ``dimensions.traffic_profile`` when ``value`` is not accepted.
    """
    canonical = _lookup(_TRAFFIC_PROFILES, value)
    if canonical is None:
        raise _rejected("traffic_profile", value)
    return canonical


def _rejected(name: str, value: object) -> InvalidRequest:
    return InvalidRequest(f"dimensions.{name}", DIMENSIONS[name].check(value) or "not accepted")
