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
from sweeplib.dimensions import JSONScalar, validate_dimension_name, validate_dimension_value
from sweeplib.errors import ConfigurationError, InvalidRequest, PlanTooLarge

__all__ = [
    "DEFAULT_LIMITS",
    "Dimensions",
    "Limits",
    "SweepRequest",
    "check_dimensions",
    "config_fingerprint",
    "parameter_fingerprint",
    "parse_sweep_request",
    "parse_sweep_request_json",
    "request_fingerprint",
    "total_points",
]

#: Normalized dimensions: name → values, names in sorted order.
Dimensions: TypeAlias = Mapping[str, tuple[JSONScalar, ...]]


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
    """

    run_id: str
    dimensions: Dimensions
    shard_count: int | None
    shard_size: int | None
    max_shards: int
    seed: int = 0
    failure_injection_shards: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # Freeze the containers so the request really is immutable.
        frozen = {name: tuple(self.dimensions[name]) for name in sorted(self.dimensions)}
        object.__setattr__(self, "dimensions", MappingProxyType(frozen))
        object.__setattr__(self, "failure_injection_shards", tuple(self.failure_injection_shards))

    @property
    def total_points(self) -> int:
        """The product of the dimension lengths."""
        return total_points(self.dimensions)

    @functools.cached_property
    def request_fingerprint(self) -> str:
        """SHA-256 hex of the canonical JSON of :meth:`to_json_dict` (hashed once)."""
        return sha256_hex(canonical_json(self.to_json_dict()))

    @functools.cached_property
    def config_fingerprint(self) -> str:
        """SHA-256 hex of the canonical JSON of ``{dimensions, seed}`` (hashed once)."""
        dimensions = {name: list(values) for name, values in self.dimensions.items()}
        return sha256_hex(canonical_json({"dimensions": dimensions, "seed": self.seed}))

    def to_json_dict(self) -> dict[str, JSONValue]:
        """The normalized request as JSON data: every field present, absent ones ``null``."""
        return {
            "run_id": self.run_id,
            "dimensions": {name: list(values) for name, values in self.dimensions.items()},
            "shard_count": self.shard_count,
            "shard_size": self.shard_size,
            "max_shards": self.max_shards,
            "seed": self.seed,
            "failure_injection_shards": list(self.failure_injection_shards),
        }


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

    if "dimensions" not in body:
        raise InvalidRequest("dimensions", "is required")
    dimensions = check_dimensions(body["dimensions"], limits.max_values_per_dimension)
    total = total_points(dimensions)
    if total > limits.max_points:
        lengths = " × ".join(f"{name} {len(values)}" for name, values in dimensions.items())
        raise PlanTooLarge(
            "dimensions", f"{total} points ({lengths}) exceed the limit of {limits.max_points}"
        )

    def optional_int(name: str, minimum: int, maximum: int = I64_MAX) -> int | None:
        value = body.get(name)  # null is the same as absent
        if value is None:
            return None
        return strict_int(value, name, InvalidRequest, minimum=minimum, maximum=maximum)

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
    """SHA-256 hex of the canonical JSON of ``{dimensions, seed}``.

    It ignores run_id and the sharding controls: two runs with the same config
    fingerprint simulate the same points with the same seeds.
    """
    return request.config_fingerprint


def parameter_fingerprint(document: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of one point's effective parameters."""
    return sha256_hex(canonical_json(document))
