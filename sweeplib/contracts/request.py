"""The sweep request (DESIGN §3.1): parsing, normalization, limits and fingerprints."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from sweeplib.checks import describe_value
from sweeplib.contracts._common import (
    I64_MAX,
    I64_MIN,
    JSONValue,
    canonical_json,
    int_list,
    load_json,
    sha256_hex,
    strict_int,
    validate_run_id,
)
from sweeplib.dimensions import (
    DIMENSIONS,
    JSONScalar,
    validate_dimension_name,
    validate_dimension_value,
)
from sweeplib.errors import ConfigurationError, InvalidRequest, PlanTooLarge

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_REPLICATIONS",
    "SEEDING_MODES",
    "Dimensions",
    "ExplicitPoints",
    "Limits",
    "SweepRequest",
    "check_dimensions",
    "check_points",
    "config_fingerprint",
    "parameter_fingerprint",
    "parse_sweep_request",
    "parse_sweep_request_json",
    "request_fingerprint",
    "total_points",
]

#: Normalized dimensions: name → values, names in sorted order.
Dimensions: TypeAlias = Mapping[str, tuple[JSONScalar, ...]]

#: Most replications of every design point a request may ask for (DESIGN §3.6).
MAX_REPLICATIONS = 1000
#: ``independent``: point p runs with seed ``seed XOR p``; ``common``: replicate r of
#: every design point runs with seed ``seed XOR r`` (common random numbers).
SEEDING_MODES = ("independent", "common")


@dataclass(frozen=True)
class ExplicitPoints:
    """Design points given one by one (a request's ``points``), stored as rows.

    Attributes
    ----------
    names : tuple of str
        The dimension names every point sets, sorted.
    rows : tuple of tuple
        One row per design point, values in ``names`` order, as given (checked).
    """

    names: tuple[str, ...]
    rows: tuple[tuple[JSONScalar, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def values(self, index: int) -> dict[str, JSONScalar]:
        """Name → value of design point ``index``."""
        return dict(zip(self.names, self.rows[index], strict=True))

    def columns(self) -> dict[str, list[JSONScalar]]:
        """Name → every design point's value, in design order."""
        return {name: [row[j] for row in self.rows] for j, name in enumerate(self.names)}

    def to_json_list(self) -> list[JSONValue]:
        """The points as the request states them: a list of objects."""
        return [dict(zip(self.names, row, strict=True)) for row in self.rows]


def check_points(value: object, field: str = "points") -> ExplicitPoints:
    """Validate a request's ``points``: a non-empty list of objects that all set the same
    dimensions, every value checked as a grid value is.

    Raises
    ------
    InvalidRequest
        Naming the point and dimension (``points[3].num_drivers``) and why.
    """
    if not isinstance(value, list | tuple):
        raise InvalidRequest(
            field, f"must be a non-empty list of objects, got {describe_value(value)}"
        )
    if not value:
        raise InvalidRequest(field, "must be a non-empty list of objects, got an empty list")
    names: tuple[str, ...] = ()
    rows: list[tuple[JSONScalar, ...]] = []
    for index, point in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(point, Mapping):
            raise InvalidRequest(
                where, f"must be an object of dimension values, got {describe_value(point)}"
            )
        if index == 0:
            if not point:
                raise InvalidRequest(where, "must set at least one dimension")
            for name in point:
                if not isinstance(name, str) or name not in DIMENSIONS:
                    try:
                        validate_dimension_name(name)
                    except InvalidRequest as error:
                        raise InvalidRequest(f"{where}.{name}", error.reason) from None
            names = tuple(sorted(point))
        elif len(point) != len(names) or any(name not in point for name in names):
            given = ", ".join(sorted(map(str, point))) or "none"
            raise InvalidRequest(
                where,
                f"sets dimensions {given}; every point must set {', '.join(names)} (as {field}[0])",
            )
        row = []
        for name in names:
            item = point[name]
            reason = DIMENSIONS[name].check.reason(item)
            if reason is not None:
                raise InvalidRequest(f"{where}.{name}", reason)
            row.append(item)
        rows.append(tuple(row))
    return ExplicitPoints(names, tuple(rows))


@dataclass(frozen=True)
class Limits:
    """The deployment's caps on a request.

    Attributes
    ----------
    max_points : int
        Largest allowed product of dimension lengths.
    max_values_per_dimension : int
        Longest allowed value list of one dimension.
    max_shards : int
        Most shards a plan may have; also the default of a request's ``max_shards``.
    max_message_bytes : int or None
        Largest shard message (UTF-8 bytes of its JSON), when the shards travel through
        a queue that caps messages (SQS: 256 KiB); ``None`` for no cap (local runs).
    """

    max_points: int = 200_000
    max_values_per_dimension: int = 10_000
    max_shards: int = 1_000
    max_message_bytes: int | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None and field.name == "max_message_bytes":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"Limits.{field.name}", f"must be an int ≥ 1, got {value!r}"
                )


#: The caps of the default deployment.
DEFAULT_LIMITS = Limits()


def total_points(dimensions: Mapping[str, Any]) -> int:
    """The number of points of a sweep: the product of the dimension lengths."""
    return math.prod(len(values) for values in dimensions.values())


def check_dimensions(value: object, max_values: int | None) -> Dimensions:
    """Validate a ``dimensions`` object: its names and every value of every dimension.

    This is where dimension values are checked — once, when a request or a shard
    message is parsed; everything derived from the result trusts it.

    Raises
    ------
    InvalidRequest
        Naming the dimension or the value (``dimensions.num_riders[2]``) and why.
    PlanTooLarge
        A dimension has more than ``max_values`` values.
    """
    if not isinstance(value, Mapping):
        raise InvalidRequest(
            "dimensions",
            f"must be an object mapping dimension names to lists, got {describe_value(value)}",
        )
    if not value:
        raise InvalidRequest("dimensions", "must name at least one dimension")
    names = [validate_dimension_name(name) for name in value]
    result: dict[str, tuple[JSONScalar, ...]] = {}
    for name in sorted(names):
        values = value[name]
        field = f"dimensions.{name}"
        if not isinstance(values, list | tuple):
            shown = describe_value(values)
            raise InvalidRequest(field, f"must be a non-empty list of values, got {shown}")
        if not values:
            raise InvalidRequest(field, "must be a non-empty list of values, got an empty list")
        if max_values is not None and len(values) > max_values:
            raise PlanTooLarge(field, f"has {len(values)} values; at most {max_values} allowed")
        for index, item in enumerate(values):
            validate_dimension_value(name, item, index)
        result[name] = tuple(values)
    return MappingProxyType(result)


@dataclass(frozen=True)
class SweepRequest:
    """A normalized, validated sweep request (DESIGN §3.1); :func:`parse_sweep_request` builds it.

    Its dimension values have been checked: the plan, the messages and every point
    derived from it trust them.

    Attributes
    ----------
    run_id : str
        Trimmed; 1–128 characters of ``[A-Za-z0-9._-]``.
    dimensions : Mapping[str, tuple]
        Name → the user's raw JSON values (not canonicalised), names in sorted order.
    shard_count, shard_size : int or None
        As given (``None`` when absent); ``shard_count`` wins when both are set.
    max_shards : int
        As given, or ``Limits.max_shards`` when absent.
    seed : int
        Signed 64-bit; 0 when absent.
    failure_injection_shards : tuple of int
        Sorted, without duplicates.
    replications : int
        Runs of every design point, 1–1000 (DESIGN §3.6); 1 when absent.
    seeding : str
        ``"independent"`` (default) or ``"common"`` (common random numbers).
    points : ExplicitPoints or None
        The design points of a ``points`` request; then ``dimensions`` is empty.
    design : Mapping or None
        Provenance of the design (never interpreted; covered by the request fingerprint).

    Point index ``p`` is design point ``p // replications``, replicate
    ``p % replications``. A request without the extensions means what it meant before
    them: same points, seeds, messages and fingerprints.
    """

    run_id: str
    dimensions: Dimensions
    shard_count: int | None
    shard_size: int | None
    max_shards: int
    seed: int = 0
    failure_injection_shards: tuple[int, ...] = ()
    replications: int = 1
    seeding: str = "independent"
    points: ExplicitPoints | None = None
    design: Mapping[str, JSONValue] | None = None

    def __post_init__(self) -> None:
        # Freeze the containers so the request really is immutable.
        frozen = {name: tuple(self.dimensions[name]) for name in sorted(self.dimensions)}
        object.__setattr__(self, "dimensions", MappingProxyType(frozen))
        object.__setattr__(self, "failure_injection_shards", tuple(self.failure_injection_shards))
        if self.design is not None:
            object.__setattr__(self, "design", MappingProxyType(dict(self.design)))

    @property
    def design_points(self) -> int:
        """The number of design points: the grid's size, or the number of ``points``."""
        return len(self.points) if self.points is not None else total_points(self.dimensions)

    @property
    def total_points(self) -> int:
        """Design points × replications: the points the run simulates."""
        return self.design_points * self.replications

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The dimensions the points set, sorted."""
        return self.points.names if self.points is not None else tuple(self.dimensions)

    @property
    def design_kind(self) -> str:
        """``design.kind`` when the request says it, else ``"grid"`` or ``"points"``."""
        kind = (self.design or {}).get("kind")
        if isinstance(kind, str):
            return kind
        return "points" if self.points is not None else "grid"

    def _extensions(self) -> dict[str, JSONValue]:
        """The DESIGN §3.6 fields that differ from their defaults (absent ones are not
        written, so a request without them hashes as it did before they existed)."""
        extra: dict[str, JSONValue] = {}
        if self.replications != 1:
            extra["replications"] = self.replications
        if self.seeding != "independent":
            extra["seeding"] = self.seeding
        if self.points is not None:
            extra["points"] = self.points.to_json_list()
        return extra

    @functools.cached_property
    def request_fingerprint(self) -> str:
        """SHA-256 hex of the canonical JSON of :meth:`to_json_dict` (hashed once)."""
        return sha256_hex(canonical_json(self.to_json_dict()))

    @functools.cached_property
    def config_fingerprint(self) -> str:
        """SHA-256 hex of the canonical JSON of ``{dimensions, seed}`` plus the points,
        replications and seeding when given (hashed once): what is simulated."""
        config: dict[str, JSONValue] = {"seed": self.seed}
        if self.points is None:
            config["dimensions"] = {name: list(values) for name, values in self.dimensions.items()}
        config.update(self._extensions())
        return sha256_hex(canonical_json(config))

    def to_json_dict(self) -> dict[str, JSONValue]:
        """The normalized request as JSON data: every original field present (absent ones
        ``null``; ``dimensions`` is ``null`` for a ``points`` request), the DESIGN §3.6
        extensions only when they differ from their defaults."""
        document: dict[str, JSONValue] = {
            "run_id": self.run_id,
            "dimensions": None
            if self.points is not None
            else {name: list(values) for name, values in self.dimensions.items()},
            "shard_count": self.shard_count,
            "shard_size": self.shard_size,
            "max_shards": self.max_shards,
            "seed": self.seed,
            "failure_injection_shards": list(self.failure_injection_shards),
        }
        document.update(self._extensions())
        if self.design is not None:
            document["design"] = dict(self.design)
        return document


_REQUEST_FIELDS = tuple(field.name for field in dataclasses.fields(SweepRequest))


def parse_sweep_request(body: object, limits: Limits = DEFAULT_LIMITS) -> SweepRequest:
    """Validate a decoded request body and normalize it (DESIGN §3.1).

    Parameters
    ----------
    body : object
        The decoded JSON body: must be an object.
    limits : Limits
        The deployment's caps.

    Returns
    -------
    SweepRequest
        ``run_id`` trimmed, dimensions sorted by name, defaults filled in,
        ``failure_injection_shards`` sorted and de-duplicated.

    Raises
    ------
    InvalidRequest
        Naming the offending field (``run_id``, ``dimensions.num_riders[2]``,
        ``failure_injection_shards[0]``…) and why.
    PlanTooLarge
        When a dimension has too many values or the points exceed ``limits.max_points``.
    """
    if not isinstance(body, Mapping):
        raise InvalidRequest("body", f"must be a JSON object, got {describe_value(body)}")
    for key in body:
        if not isinstance(key, str):
            raise InvalidRequest("body", f"field names must be strings, got {key!r}")
        if key not in _REQUEST_FIELDS:
            accepted = ", ".join(sorted(_REQUEST_FIELDS))
            raise InvalidRequest(key, f"unknown field; accepted: {accepted}")

    if "run_id" not in body:
        raise InvalidRequest("run_id", "is required")
    raw_run_id = body["run_id"]
    if not isinstance(raw_run_id, str):
        raise InvalidRequest("run_id", f"must be a string, got {describe_value(raw_run_id)}")
    run_id = validate_run_id(raw_run_id.strip())

    def optional_int(name: str, minimum: int, maximum: int = I64_MAX) -> int | None:
        value = body.get(name)  # null is the same as absent
        if value is None:
            return None
        return strict_int(value, name, InvalidRequest, minimum=minimum, maximum=maximum)

    replications = optional_int("replications", 1, MAX_REPLICATIONS) or 1
    seeding = body.get("seeding")
    if seeding is None:
        seeding = "independent"
    elif seeding not in SEEDING_MODES:
        shown = describe_value(seeding)
        raise InvalidRequest("seeding", f"must be one of {', '.join(SEEDING_MODES)}, got {shown}")

    points: ExplicitPoints | None = None
    dimensions: Dimensions = MappingProxyType({})
    has_dimensions = body.get("dimensions") is not None
    if body.get("points") is not None:
        if has_dimensions:
            raise InvalidRequest("points", "give either dimensions (a grid) or points, not both")
        points = check_points(body["points"])
        design_points, what = len(points), f"{len(points)} design points"
    elif "dimensions" in body:  # null included: it gets check_dimensions' own message
        dimensions = check_dimensions(body["dimensions"], limits.max_values_per_dimension)
        design_points = total_points(dimensions)
        what = " × ".join(f"{name} {len(values)}" for name, values in dimensions.items())
    else:
        raise InvalidRequest("dimensions", "is required (or give points)")
    total = design_points * replications
    if total > limits.max_points:
        field = "points" if points is not None else "dimensions"
        if replications != 1:
            what += f" × {replications} replications"
        raise PlanTooLarge(
            field, f"{total} points ({what}) exceed the limit of {limits.max_points}"
        )

    design = body.get("design")
    if design is not None and not isinstance(design, Mapping):
        raise InvalidRequest(
            "design", f"must be an object (provenance), got {describe_value(design)}"
        )

    shard_count = optional_int("shard_count", 1)
    shard_size = optional_int("shard_size", 1)
    if shard_count is None and shard_size is None:
        raise InvalidRequest("shard_count", "one of shard_count or shard_size is required")
    max_shards = optional_int("max_shards", 1)
    seed = optional_int("seed", I64_MIN)

    failures: tuple[int, ...] = ()
    if body.get("failure_injection_shards") is not None:
        raw = body["failure_injection_shards"]
        failures = tuple(sorted(set(int_list(raw, "failure_injection_shards", InvalidRequest))))
        if len(failures) > limits.max_shards:
            raise PlanTooLarge(
                "failure_injection_shards",
                f"names {len(failures)} distinct shards; a plan has at most {limits.max_shards}",
            )

    return SweepRequest(
        run_id=run_id,
        dimensions=dimensions,
        shard_count=shard_count,
        shard_size=shard_size,
        max_shards=limits.max_shards if max_shards is None else max_shards,
        seed=0 if seed is None else seed,
        failure_injection_shards=failures,
        replications=replications,
        seeding=seeding,
        points=points,
        design=design,
    )


def parse_sweep_request_json(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> SweepRequest:
    """Decode a request body (JSON text) and validate it with :func:`parse_sweep_request`.

    The decoder is strict: NaN, ±Infinity, numbers that overflow a float and duplicate
    object keys are refused.

    Raises
    ------
    InvalidRequest
        ``field`` ``"body"`` when the text is not valid JSON or UTF-8; otherwise as
        :func:`parse_sweep_request`.
    """
    return parse_sweep_request(load_json(text, InvalidRequest, "body"), limits)


# -- fingerprints (DESIGN §3.2) ---------------------------------------------------------------


def request_fingerprint(request: SweepRequest) -> str:
    """SHA-256 hex of the canonical JSON of :meth:`SweepRequest.to_json_dict` (DESIGN §3.2)."""
    return request.request_fingerprint


def config_fingerprint(request: SweepRequest) -> str:
    """SHA-256 hex of the canonical JSON of ``{dimensions, seed}`` (with ``points``,
    ``replications`` and ``seeding`` when the request gives them).

    It ignores run_id, the sharding controls and the design's provenance: two runs with
    the same config fingerprint simulate the same points with the same seeds.
    """
    return request.config_fingerprint


def parameter_fingerprint(document: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of one point's effective parameters."""
    return sha256_hex(canonical_json(document))
