"""The contracts other systems depend on (DESIGN §3): requests, shard messages, records.

* :func:`parse_sweep_request` turns a request body into a normalized, fully validated
  :class:`SweepRequest` (every value of every dimension is checked here, at submit time).
* :func:`canonical_json` is the one serialisation every fingerprint hashes.
* :class:`ShardMessage` is the queue message of one shard; :meth:`ShardMessage.from_json`
  refuses anything malformed with :class:`~sweeplib.errors.InvalidShardMessage`.
* :class:`ShardOutcomeRecord`, :class:`RunContextRecord` and
  :class:`EffectiveParametersRecord` are rows of the Athena datasets, fields in column order.

Everything here is pure: no clock, no environment, no filesystem. Dates and times are
passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from sweeplib.dimensions import (
    JSONScalar,
    describe_json_value,
    render_int,
    validate_dimension_name,
    validate_dimension_value,
)
from sweeplib.errors import (
    ConfigurationError,
    InvalidRequest,
    InvalidShardMessage,
    PlanTooLarge,
    SweepError,
)

__all__ = [
    "DEFAULT_LIMITS",
    "RECORD_SCHEMA",
    "SCHEMA_VERSION",
    "SHARD_STRATEGY_DERIVED",
    "SHARD_STRATEGY_EXPLICIT",
    "STATUS_ACCEPTED",
    "STATUS_FAILURE",
    "STATUS_SUCCESS",
    "Dimensions",
    "EffectiveParametersRecord",
    "JSONScalar",
    "JSONValue",
    "Limits",
    "RunContextRecord",
    "ShardMessage",
    "ShardOutcomeRecord",
    "SweepRequest",
    "canonical_json",
    "config_fingerprint",
    "format_event_time",
    "format_run_date",
    "parameter_fingerprint",
    "parse_sweep_request",
    "parse_sweep_request_json",
    "request_fingerprint",
    "sha256_hex",
    "validate_run_id",
]

SCHEMA_VERSION = "v1"
#: The ``record_schema`` column of every dataset row.
RECORD_SCHEMA = SCHEMA_VERSION

STATUS_SUCCESS: Final = "success"
STATUS_FAILURE: Final = "failure"
#: The ``status_partition`` of run_context rows.
STATUS_ACCEPTED = "accepted"
_POINT_STATUSES = (STATUS_SUCCESS, STATUS_FAILURE)

SHARD_STRATEGY_EXPLICIT = "explicit_shard_count"
SHARD_STRATEGY_DERIVED = "derived_from_shard_size"

JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
#: Normalized dimensions: name → values, names in sorted order.
Dimensions: TypeAlias = Mapping[str, tuple[JSONScalar, ...]]

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
_RUN_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_RUN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EVENT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z")

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# InvalidRequest or InvalidShardMessage: both are built from (field, reason).
_ErrorFactory = Callable[[str, str], SweepError]


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
    """

    max_points: int = 200_000
    max_values_per_dimension: int = 10_000
    max_shards: int = 1_000

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"Limits.{field.name}", f"must be an int ≥ 1, got {value!r}"
                )


#: The caps of the default deployment.
DEFAULT_LIMITS = Limits()


# -- canonical JSON and hashing ------------------------------------------------------------


def canonical_json(value: object) -> str:
    """Serialise ``value`` the one way every fingerprint hashes it.

    Object keys sorted by code point (the same order as UTF-8 bytes), no whitespace
    (separators ``,`` and ``:``), non-ASCII characters written as themselves (UTF-8),
    integers as integers, and floats as Python's shortest round-trip ``repr``: ``1.0``
    stays ``1.0`` (distinct from ``1``), ``0.1`` is ``0.1``, ``1e16`` is ``1e+16`` and
    ``1e-7`` is ``1e-07``. Tuples serialise as arrays.

    Raises
    ------
    ValueError
        If ``value`` contains NaN or ±Infinity.
    TypeError
        If ``value`` contains something that is not JSON (a set, a numpy scalar…).
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    """The lowercase hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _RejectedJSONError(ValueError):
    """Raised inside json.loads hooks; never escapes this module."""


def _reject_constant(name: str) -> object:
    raise _RejectedJSONError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _RejectedJSONError(f"number {text} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RejectedJSONError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _load_json(text: str | bytes, error: _ErrorFactory, field: str) -> object:
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(field, f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except _RejectedJSONError as exc:
        raise error(field, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise error(field, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer with too many digits
        raise error(field, f"not valid JSON: {exc}") from None


# -- field checks shared by requests and messages -------------------------------------------


def _strict_int(
    value: object, field: str, error: _ErrorFactory, *, minimum: int, maximum: int = I64_MAX
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(field, f"must be an integer, got {describe_json_value(value)}")
    if value < minimum:
        raise error(field, f"must be ≥ {minimum}, got {render_int(value)}")
    if value > maximum:
        raise error(field, f"must be ≤ {maximum}, got {render_int(value)}")
    return value


def _int_list(value: object, field: str, error: _ErrorFactory) -> list[int]:
    if not isinstance(value, list | tuple):
        raise error(field, f"must be a list of integers, got {describe_json_value(value)}")
    return [_strict_int(v, f"{field}[{i}]", error, minimum=0) for i, v in enumerate(value)]


def validate_run_id(run_id: object) -> str:
    """Check a (trimmed) run id: 1–128 characters of ``[A-Za-z0-9._-]``, not only dots.

    Run ids become path components of object keys, so ``"../x"``, ``"."`` and ``".."``
    are refused.

    Returns
    -------
    str
        ``run_id``, typed as ``str``.

    Raises
    ------
    InvalidRequest
        With ``field`` ``"run_id"``.
    """
    if not isinstance(run_id, str):
        raise InvalidRequest("run_id", f"must be a string, got {describe_json_value(run_id)}")
    if not run_id:
        raise InvalidRequest("run_id", "must not be empty")
    if len(run_id) > 128:
        raise InvalidRequest("run_id", f"must be at most 128 characters, got {len(run_id)}")
    if _RUN_ID.fullmatch(run_id) is None:
        raise InvalidRequest(
            "run_id",
            "may contain only letters, digits, '.', '_' and '-' (it is part of object keys), "
            f"got {describe_json_value(run_id)}",
        )
    if set(run_id) == {"."}:
        raise InvalidRequest("run_id", f"must not consist only of dots, got {run_id!r}")
    return run_id


def format_run_date(run_date: dt.date | str) -> str:
    """Return ``run_date`` as ``YYYY-MM-DD``, checking that a string is a real calendar date.

    Raises
    ------
    InvalidRequest
        With ``field`` ``"run_date"``.
    """
    if isinstance(run_date, dt.date):
        return dt.date(run_date.year, run_date.month, run_date.day).isoformat()
    if not isinstance(run_date, str) or _RUN_DATE.fullmatch(run_date) is None:
        shown = describe_json_value(run_date)
        raise InvalidRequest("run_date", f"must be a date YYYY-MM-DD, got {shown}")
    try:
        dt.date.fromisoformat(run_date)
    except ValueError as exc:
        raise InvalidRequest("run_date", f"is not a calendar date ({exc}): {run_date!r}") from None
    return run_date


def _dimensions(value: object, max_values: int | None) -> Dimensions:
    """Validate a ``dimensions`` object; raise InvalidRequest / PlanTooLarge naming the value."""
    if not isinstance(value, Mapping):
        raise InvalidRequest(
            "dimensions",
            f"must be an object mapping dimension names to lists, got {describe_json_value(value)}",
        )
    if not value:
        raise InvalidRequest("dimensions", "must name at least one dimension")
    names = [validate_dimension_name(name) for name in value]
    result: dict[str, tuple[JSONScalar, ...]] = {}
    for name in sorted(names):
        values = value[name]
        field = f"dimensions.{name}"
        if not isinstance(values, list | tuple):
            shown = describe_json_value(values)
            raise InvalidRequest(field, f"must be a non-empty list of values, got {shown}")
        if not values:
            raise InvalidRequest(field, "must be a non-empty list of values, got an empty list")
        if max_values is not None and len(values) > max_values:
            raise PlanTooLarge(field, f"has {len(values)} values; at most {max_values} allowed")
        for index, item in enumerate(values):
            validate_dimension_value(name, item, index)
        result[name] = tuple(values)
    return MappingProxyType(result)


def _total_points(dimensions: Dimensions) -> int:
    return math.prod(len(values) for values in dimensions.values())


# -- the sweep request ------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepRequest:
    """A normalized, validated sweep request (DESIGN §3.1); :func:`parse_sweep_request` builds it.

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
        return _total_points(self.dimensions)

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
        raise InvalidRequest("body", f"must be a JSON object, got {describe_json_value(body)}")
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
        raise InvalidRequest("run_id", f"must be a string, got {describe_json_value(raw_run_id)}")
    run_id = validate_run_id(raw_run_id.strip())

    if "dimensions" not in body:
        raise InvalidRequest("dimensions", "is required")
    dimensions = _dimensions(body["dimensions"], limits.max_values_per_dimension)
    total = _total_points(dimensions)
    if total > limits.max_points:
        lengths = " × ".join(f"{name} {len(values)}" for name, values in dimensions.items())
        raise PlanTooLarge(
            "dimensions", f"{total} points ({lengths}) exceed the limit of {limits.max_points}"
        )

    def optional_int(name: str, minimum: int, maximum: int = I64_MAX) -> int | None:
        value = body.get(name)  # null is the same as absent
        if value is None:
            return None
        return _strict_int(value, name, InvalidRequest, minimum=minimum, maximum=maximum)

    shard_count = optional_int("shard_count", 1)
    shard_size = optional_int("shard_size", 1)
    if shard_count is None and shard_size is None:
        raise InvalidRequest("shard_count", "one of shard_count or shard_size is required")
    max_shards = optional_int("max_shards", 1)
    seed = optional_int("seed", I64_MIN)

    failures: tuple[int, ...] = ()
    if body.get("failure_injection_shards") is not None:
        raw = body["failure_injection_shards"]
        failures = tuple(sorted(set(_int_list(raw, "failure_injection_shards", InvalidRequest))))
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
    return parse_sweep_request(_load_json(text, InvalidRequest, "body"), limits)


# -- fingerprints (DESIGN §3.2) ---------------------------------------------------------------


def request_fingerprint(request: SweepRequest) -> str:
    """SHA-256 hex of the canonical JSON of :meth:`SweepRequest.to_json_dict` (DESIGN §3.2)."""
    return sha256_hex(canonical_json(request.to_json_dict()))


def config_fingerprint(request: SweepRequest) -> str:
    """SHA-256 hex of the canonical JSON of ``{dimensions, seed}``.

    It ignores run_id and the sharding controls: two runs with the same config
    fingerprint simulate the same points with the same seeds.
    """
    document = request.to_json_dict()
    return sha256_hex(canonical_json({"dimensions": document["dimensions"], "seed": request.seed}))


def parameter_fingerprint(document: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of one point's effective parameters."""
    return sha256_hex(canonical_json(document))


# -- the shard message (DESIGN §3.3) ---------------------------------------------------------


@dataclass(frozen=True)
class ShardMessage:
    """The queue message that tells a worker to run one shard.

    Build it with :func:`sweeplib.planning.shard_messages` (which trusts the already
    validated request) or decode it with :meth:`from_json` / :meth:`from_dict` (which
    validate every field).
    """

    schema_version: str
    run_id: str
    run_date: str
    request_fingerprint: str
    dimensions: Dimensions
    total_points: int
    shard_id: int
    start_index: int
    end_index_exclusive: int
    seed: int
    failure_injection_shards: tuple[int, ...]

    def __post_init__(self) -> None:
        frozen = {name: tuple(self.dimensions[name]) for name in sorted(self.dimensions)}
        object.__setattr__(self, "dimensions", MappingProxyType(frozen))
        object.__setattr__(self, "failure_injection_shards", tuple(self.failure_injection_shards))

    def to_json_dict(self) -> dict[str, JSONValue]:
        """The message as JSON data."""
        return {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "run_date": self.run_date,
            "request_fingerprint": self.request_fingerprint,
            "dimensions": {name: list(values) for name, values in self.dimensions.items()},
            "total_points": self.total_points,
            "shard_id": self.shard_id,
            "start_index": self.start_index,
            "end_index_exclusive": self.end_index_exclusive,
            "seed": self.seed,
            "failure_injection_shards": list(self.failure_injection_shards),
        }

    def to_json(self) -> str:
        """The message body: :func:`canonical_json` of :meth:`to_json_dict`."""
        return canonical_json(self.to_json_dict())

    @classmethod
    def from_json(cls, body: str | bytes) -> ShardMessage:
        """Decode and validate a message body.

        Raises
        ------
        InvalidShardMessage
            ``field`` ``"message"`` for undecodable text; otherwise as :meth:`from_dict`.
        """
        return cls.from_dict(_load_json(body, InvalidShardMessage, "message"))

    @classmethod
    def from_dict(cls, data: object) -> ShardMessage:
        """Validate decoded message data strictly.

        Raises
        ------
        InvalidShardMessage
            Naming the field: missing or unknown fields, wrong JSON types, an unknown
            ``schema_version``, a bad run_id, run_date or fingerprint, invalid dimension
            values, ``total_points`` that is not the product of the dimension lengths,
            ``start_index ≥ end_index_exclusive``, ``end_index_exclusive > total_points``,
            or ``failure_injection_shards`` not sorted and unique.
        """
        try:
            return _message_from_dict(data)
        except InvalidRequest as exc:  # raised by the shared request validators
            raise InvalidShardMessage(exc.field, exc.reason) from None


_MESSAGE_FIELDS = tuple(field.name for field in dataclasses.fields(ShardMessage))


def _message_from_dict(data: object) -> ShardMessage:
    error = InvalidShardMessage
    if not isinstance(data, Mapping):
        raise error("message", f"must be a JSON object, got {describe_json_value(data)}")
    for name in _MESSAGE_FIELDS:
        if name not in data:
            raise error(name, "is required")
    for key in data:
        if key not in _MESSAGE_FIELDS:
            raise error(str(key), "unknown field")

    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        shown = describe_json_value(version)
        raise error("schema_version", f"must be {SCHEMA_VERSION!r} (this reader's), got {shown}")
    fingerprint = data["request_fingerprint"]
    if not isinstance(fingerprint, str) or _SHA256_HEX.fullmatch(fingerprint) is None:
        shown = describe_json_value(fingerprint)
        raise error("request_fingerprint", f"must be 64 lowercase hex digits, got {shown}")

    dimensions = _dimensions(data["dimensions"], max_values=None)
    total = _strict_int(data["total_points"], "total_points", error, minimum=1)
    if total != _total_points(dimensions):
        raise error(
            "total_points",
            f"is {total} but the dimensions have {_total_points(dimensions)} points",
        )
    start = _strict_int(data["start_index"], "start_index", error, minimum=0)
    end = _strict_int(data["end_index_exclusive"], "end_index_exclusive", error, minimum=0)
    if end <= start:
        raise error("end_index_exclusive", f"must be greater than start_index {start}, got {end}")
    if end > total:
        raise error("end_index_exclusive", f"must be ≤ total_points {total}, got {end}")
    failures = _int_list(data["failure_injection_shards"], "failure_injection_shards", error)
    if any(a >= b for a, b in itertools.pairwise(failures)):
        raise error("failure_injection_shards", "must be sorted ascending without duplicates")

    return ShardMessage(
        schema_version=SCHEMA_VERSION,
        run_id=validate_run_id(data["run_id"]),
        run_date=format_run_date(_string(data["run_date"], "run_date")),
        request_fingerprint=fingerprint,
        dimensions=dimensions,
        total_points=total,
        shard_id=_strict_int(data["shard_id"], "shard_id", error, minimum=0),
        start_index=start,
        end_index_exclusive=end,
        seed=_strict_int(data["seed"], "seed", error, minimum=I64_MIN),
        failure_injection_shards=tuple(failures),
    )


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidShardMessage(field, f"must be a string, got {describe_json_value(value)}")
    return value


# -- dataset records (DESIGN §3.4); fields in column order ------------------------------------


def format_event_time(moment: dt.datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with milliseconds: ``2024-05-01T12:00:00.000Z``.

    Raises
    ------
    ValueError
        If ``moment`` is naive (has no time zone).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("event times must be timezone-aware")
    utc = moment.astimezone(dt.UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _check_choice(record: object, field: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        name = type(record).__name__
        raise ValueError(f"{name}.{field} must be one of {', '.join(allowed)}, got {value!r}")


def _row(record: DataclassInstance) -> dict[str, Any]:
    return {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}


@dataclass(frozen=True, kw_only=True)
class ShardOutcomeRecord:
    """One row of ``shard_outcomes``: a shard finished with ``success`` or ``failure``.

    ``result_key``, ``points_processed`` and ``format`` describe a success;
    ``error_code`` and ``error_message`` a failure.
    """

    run_id: str
    shard_id: int
    status: str
    start_index: int
    end_index_exclusive: int
    event_time: str
    record_schema: str = RECORD_SCHEMA
    result_key: str | None = None
    points_processed: int | None = None
    format: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    def __post_init__(self) -> None:
        _check_choice(self, "status", self.status, _POINT_STATUSES)
        if _EVENT_TIME.fullmatch(self.event_time) is None:
            raise ValueError(f"event_time must be RFC 3339 UTC (…Z), got {self.event_time!r}")

    def as_row(self) -> dict[str, Any]:
        """The row as a dict, keys in dataset column order."""
        return _row(self)


@dataclass(frozen=True, kw_only=True)
class RunContextRecord:
    """One row of ``run_context``: what was accepted for a run, written once at submission."""

    run_id: str
    request_source: str
    record_schema: str = RECORD_SCHEMA
    request_fingerprint: str
    config_fingerprint: str
    total_points: int
    shard_count: int
    shard_strategy: str
    max_shards: int

    def __post_init__(self) -> None:
        strategies = (SHARD_STRATEGY_EXPLICIT, SHARD_STRATEGY_DERIVED)
        _check_choice(self, "shard_strategy", self.shard_strategy, strategies)

    def as_row(self) -> dict[str, Any]:
        """The row as a dict, keys in dataset column order."""
        return _row(self)


@dataclass(frozen=True, kw_only=True)
class EffectiveParametersRecord:
    """One row of ``effective_parameters``: the parameters one point actually ran with."""

    run_id: str
    shard_id: int
    point_index: int
    status: str
    record_schema: str = RECORD_SCHEMA
    parameter_fingerprint: str
    effective_parameters_json: str

    def __post_init__(self) -> None:
        _check_choice(self, "status", self.status, _POINT_STATUSES)

    @classmethod
    def from_parameters(
        cls,
        *,
        run_id: str,
        shard_id: int,
        point_index: int,
        status: str,
        parameters: Mapping[str, Any],
    ) -> EffectiveParametersRecord:
        """Build the row from a parameter document.

        The stored ``effective_parameters_json`` is compact JSON in the document's own
        key order (the original's column keeps SIM_SPEC §8.5's order); the fingerprint
        hashes the canonical (sorted-key) form, so it does not depend on that order.
        """
        return cls(
            run_id=run_id,
            shard_id=shard_id,
            point_index=point_index,
            status=status,
            parameter_fingerprint=parameter_fingerprint(parameters),
            effective_parameters_json=json.dumps(
                parameters, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ),
        )

    def as_row(self) -> dict[str, Any]:
        """The row as a dict, keys in dataset column order."""
        return _row(self)
