"""The sweep dimensions a request may vary: one table, each entry mapped to its kernel parameter.

A dimension is a kernel parameter named in a request's ``dimensions`` object. Each
:class:`DimensionSpec` says which ``ScenarioParams`` field it sets (``target``), how a
JSON value becomes the kernel's value (``to_kernel``), and which values it accepts —
the kernel's own range from :data:`sweeplib.sim.params.PARAMETER_CHECKS`, so a range
is written once. Values are raw JSON scalars, validated strictly: ``"2"`` is not an
integer, ``true`` is not a number, ``2.0`` is not an unsigned integer, and NaN or
±Infinity is never a number. Integers are accepted where a number is required.

Values are checked once, when a request or a shard message is parsed
(:func:`validate_dimension_value`); everything downstream — the per-point path and the
kernel — receives checked values and trusts them. Values are *kept as given* (the
request fingerprint covers them verbatim); ``to_kernel`` maps the string dimensions'
spellings to the kernel's names when a point is run.

This module is pure: values in, ``None`` or :class:`~sweeplib.errors.InvalidRequest` out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias

from sweeplib.checks import Check, Choice, IntRange
from sweeplib.errors import InvalidRequest, PlanTooLarge
from sweeplib.sim.params import PARAMETER_CHECKS, MatchingAlgorithm

__all__ = [
    "COUNT_DIMENSIONS",
    "DIMENSIONS",
    "DIMENSION_NAMES",
    "MAX_DURATION_HOURS",
    "DimensionSpec",
    "JSONScalar",
    "check_counts",
    "check_point",
    "validate_dimension_name",
    "validate_dimension_value",
]

#: A JSON scalar as :func:`json.loads` returns it.
JSONScalar: TypeAlias = bool | int | float | str | None

_HOUR_MS = 3_600_000
_END_TIME = PARAMETER_CHECKS["simulation_end_time_ms"]
assert isinstance(_END_TIME, IntRange)
#: ``simulation_duration_hours`` sets the kernel's end time to h × 3,600,000 ms.
MAX_DURATION_HOURS = _END_TIME.high // _HOUR_MS

_MATCHING_ALGORITHMS = Choice(
    MappingProxyType(
        {
            "simple": "simple",
            "cost_based": "cost_based",
            "costbased": "cost_based",
            "cost-based": "cost_based",
            "hungarian": "hungarian",
        }
    )
)
_TRAFFIC_PROFILES = Choice(MappingProxyType({"none": "none", "berlin": "berlin"}))
_RNG_LAYOUTS = PARAMETER_CHECKS["rng_layout"]


def _same(value: JSONScalar) -> Any:
    return value


def _real(value: JSONScalar) -> Any:
    return None if value is None else float(value)


def _hours_to_end_time_ms(value: JSONScalar) -> Any:
    return None if value is None else int(value) * _HOUR_MS


def _matching_algorithm(value: JSONScalar) -> Any:
    return MatchingAlgorithm(_MATCHING_ALGORITHMS.canonical(value))


def _traffic_profile(value: JSONScalar) -> Any:
    return _TRAFFIC_PROFILES.canonical(value)


def _rng_layout(value: JSONScalar) -> Any:
    assert isinstance(_RNG_LAYOUTS, Choice)
    return _RNG_LAYOUTS.canonical(value)


@dataclass(frozen=True)
class DimensionSpec:
    """One accepted dimension: its name, the kernel parameter it sets, its values.

    Attributes
    ----------
    name : str
        The key used in a request's ``dimensions`` object.
    target : str
        The ``ScenarioParams`` field it sets (``pricing_config.<field>`` for pricing).
    value_type : str
        The accepted values, e.g. ``"unsigned integer ≤ 4294967295"`` (docs, ``--help``).
    description : str
        What the value changes in the simulation (docs, ``--help``).
    check : Check
        The accepted JSON values; ``check.reason(value)`` says why one is not. Prefer
        :func:`validate_dimension_value`, which raises with the right field.
    to_kernel : callable
        A checked JSON value → the value of ``target``.
    """

    name: str
    target: str
    value_type: str
    description: str
    check: Check = field(repr=False, compare=False)
    to_kernel: Callable[[JSONScalar], Any] = field(default=_same, repr=False, compare=False)


def _kernel_range(target: str, *, nullable: bool = False) -> Check:
    """The kernel's range for ``target``; ``null`` accepted only where the dimension says."""
    return dataclasses.replace(PARAMETER_CHECKS[target], nullable=nullable)  # type: ignore[type-var]


def _dimension(
    name: str,
    value_type: str,
    description: str,
    *,
    target: str | None = None,
    nullable: bool = False,
    check: Check | None = None,
    to_kernel: Callable[[JSONScalar], Any] = _same,
) -> DimensionSpec:
    target = target or name
    return DimensionSpec(
        name=name,
        target=target,
        value_type=value_type,
        description=description,
        check=check or _kernel_range(target, nullable=nullable),
        to_kernel=to_kernel,
    )


_SPECS = (
    _dimension(
        "base_fare",
        "number ≥ 0",
        "fixed part of every fare (currency units; default 2.50)",
        target="pricing_config.base_fare",
        to_kernel=_real,
    ),
    _dimension(
        "base_speed_kmh",
        "number > 0, or null",
        "driver speed centre: speeds are drawn from [max(b−10, 5), b+10] km/h "
        "(null: the default range [20, 60])",
        nullable=True,
        to_kernel=_real,
    ),
    _dimension(
        "batch_interval_secs",
        "unsigned integer ≥ 1",
        "seconds between batch matching runs (default 5)",
    ),
    _dimension(
        "batch_matching_enabled",
        "boolean",
        "match riders in periodic batches (true, the default) or one by one",
    ),
    _dimension(
        "commission_rate",
        "number in [0, 1]",
        "platform share of each fare (default 0.0)",
        target="pricing_config.commission_rate",
        to_kernel=_real,
    ),
    _dimension(
        "dynamic_congestion_enabled",
        "boolean",
        "slow drivers down in dense cells (only effective when num_riders + num_drivers > 200)",
    ),
    _dimension(
        "epoch_ms",
        f"unsigned integer ≤ {(1 << 63) - 1}, or null",
        "wall-clock UTC milliseconds of simulation time 0; drives time-of-day demand and "
        "traffic (null: 0 = Thursday 1970-01-01 00:00 UTC)",
        nullable=True,
    ),
    _dimension(
        "eta_weight",
        "number ≥ 0",
        "weight of pickup ETA in cost-based and Hungarian matching scores (default 0.1)",
        to_kernel=_real,
    ),
    _dimension(
        "match_radius",
        f"unsigned integer ≤ {(1 << 32) - 1}",
        "maximum H3 grid distance between rider and driver (default 0: same cell only)",
    ),
    _dimension(
        "matching_algorithm_type",
        "string: simple, cost_based (also costbased, cost-based) or hungarian; case-insensitive",
        "matching algorithm (default hungarian)",
        check=_MATCHING_ALGORITHMS,
        to_kernel=_matching_algorithm,
    ),
    _dimension(
        "num_drivers",
        f"unsigned integer ≤ {(1 << 64) - 1}",
        "number of drivers spawned over the driver spread window (default 100)",
    ),
    _dimension(
        "num_riders",
        f"unsigned integer ≤ {(1 << 64) - 1}",
        "number of riders spawned over the request window (default 500)",
    ),
    _dimension(
        "per_km_rate",
        "number ≥ 0",
        "fare per kilometre of trip distance (default 1.50)",
        target="pricing_config.per_km_rate",
        to_kernel=_real,
    ),
    _dimension(
        "rng_layout",
        "string: independent or original; case-insensitive",
        "how per-entity random streams derive from the point's seed: independent (the "
        "default: hashed, so neighbouring seeds give independent runs) or original (the "
        "Rust kernel's seed + k, for side-by-side comparison; neighbouring seeds correlate)",
        check=_RNG_LAYOUTS,
        to_kernel=_rng_layout,
    ),
    _dimension(
        "simulation_duration_hours",
        f"unsigned integer in [1, {MAX_DURATION_HOURS}], or null",
        "simulated hours: the run ends at h × 3,600,000 ms, absolute "
        "(null: request window + 2 h = 3 h)",
        target="simulation_end_time_ms",
        check=IntRange(1, MAX_DURATION_HOURS, nullable=True),
        to_kernel=_hours_to_end_time_ms,
    ),
    _dimension(
        "surge_enabled",
        "boolean",
        "multiply fares by local demand/supply (default false)",
        target="pricing_config.surge_enabled",
    ),
    _dimension(
        "surge_max_multiplier",
        "number ≥ 1",
        "cap of the surge multiplier (default 2.0)",
        target="pricing_config.surge_max_multiplier",
        to_kernel=_real,
    ),
    _dimension(
        "surge_radius_k",
        f"unsigned integer ≤ {(1 << 32) - 1}",
        "H3 grid-disk radius over which surge counts demand and supply (default 1)",
        target="pricing_config.surge_radius_k",
    ),
    _dimension(
        "traffic_profile",
        "string: none or berlin; case-insensitive",
        "hourly speed factors (default none)",
        check=_TRAFFIC_PROFILES,
        to_kernel=_traffic_profile,
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
    reason = spec.check.reason(value)
    if reason is not None:
        field = f"dimensions.{name}" if index is None else f"dimensions.{name}[{index}]"
        raise InvalidRequest(field, reason)


#: The dimensions that count agents: a deployment may cap them below the kernel's range.
COUNT_DIMENSIONS = ("num_riders", "num_drivers")


def check_counts(
    dimensions: Mapping[str, Sequence[JSONScalar]], cap: int, *, field: str = "dimensions"
) -> None:
    """Refuse agent counts above a deployment's cap (``MAX_AGENTS_PER_POINT``).

    The kernel honours up to :data:`sweeplib.sim.params.MAX_AGENTS`; a deployment may
    allow less (a point's memory and time grow with its riders and drivers).

    Raises
    ------
    PlanTooLarge
        ``dimensions.<name>[<index>]`` of the first count over ``cap`` (for a ``points``
        design, ``field="points"``: ``points[<index>].<name>``).
    """
    for name in COUNT_DIMENSIONS:
        for index, value in enumerate(dimensions.get(name, ())):
            if isinstance(value, int) and not isinstance(value, bool) and value > cap:
                where = (
                    f"{field}[{index}].{name}" if field == "points" else f"{field}.{name}[{index}]"
                )
                raise PlanTooLarge(
                    where,
                    f"{value} exceeds this deployment's cap of {cap} per point "
                    "(MAX_AGENTS_PER_POINT)",
                )


def check_point(selected: Mapping[str, object]) -> dict[str, JSONScalar]:
    """Check the dimension values of one point given directly (``sweep simulate --set``,
    a notebook), as a request's values are checked.

    Returns
    -------
    dict
        Name → value, names sorted: values the per-point path may trust.

    Raises
    ------
    InvalidRequest
        An unknown name (``dimensions.<name>``) or an invalid value.
    """
    checked: dict[str, JSONScalar] = {}
    for name in sorted(selected, key=str):
        validate_dimension_value(name, selected[name])
        checked[name] = selected[name]  # type: ignore[assignment]
    return checked
