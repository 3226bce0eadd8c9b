"""The shard message (DESIGN §3.3): what a worker needs to run one shard."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sweeplib.checks import describe_value
from sweeplib.contracts._common import (
    I64_MIN,
    SCHEMA_VERSION,
    JSONValue,
    canonical_json,
    format_run_date,
    int_list,
    load_json,
    strict_int,
    validate_run_id,
)
from sweeplib.contracts.request import (
    MAX_REPLICATIONS,
    SEEDING_MODES,
    Dimensions,
    ExplicitPoints,
    check_dimensions,
    check_points,
    total_points,
)
from sweeplib.errors import InvalidRequest, InvalidShardMessage

__all__ = ["ShardMessage"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ShardMessage:
    """The queue message that tells a worker to run one shard.

    Build it with :func:`sweeplib.planning.shard_messages` (from an already validated
    request) or decode it with :meth:`from_json` / :meth:`from_dict` (which validate
    every field): either way its dimension values are checked, and the worker trusts
    them.

    A grid request's message carries the whole grid (``dimensions``); a ``points``
    request's message carries only the design points its range touches (``points``,
    the first of them being design point ``points_offset``), so messages stay small
    however large the design. ``replications`` and ``seeding`` (DESIGN §3.6) are
    written only when they differ from their defaults: the message of a request
    without the extensions is byte for byte what it was before them.
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
    replications: int = 1
    seeding: str = "independent"
    points: ExplicitPoints | None = None
    points_offset: int = 0

    def __post_init__(self) -> None:
        frozen = {name: tuple(self.dimensions[name]) for name in sorted(self.dimensions)}
        object.__setattr__(self, "dimensions", MappingProxyType(frozen))
        object.__setattr__(self, "failure_injection_shards", tuple(self.failure_injection_shards))

    @property
    def size(self) -> int:
        """The number of points in the shard."""
        return self.end_index_exclusive - self.start_index

    def to_json_dict(self) -> dict[str, JSONValue]:
        """The message as JSON data."""
        document: dict[str, JSONValue] = {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "run_date": self.run_date,
            "request_fingerprint": self.request_fingerprint,
            "dimensions": None
            if self.points is not None
            else {name: list(values) for name, values in self.dimensions.items()},
            "total_points": self.total_points,
            "shard_id": self.shard_id,
            "start_index": self.start_index,
            "end_index_exclusive": self.end_index_exclusive,
            "seed": self.seed,
            "failure_injection_shards": list(self.failure_injection_shards),
        }
        if self.replications != 1:
            document["replications"] = self.replications
        if self.seeding != "independent":
            document["seeding"] = self.seeding
        if self.points is not None:
            document["points"] = {
                "offset": self.points_offset,
                "names": list(self.points.names),
                "rows": [list(row) for row in self.points.rows],
            }
        return document

    def to_json(self) -> str:
        """The message body: :func:`~sweeplib.contracts.canonical_json` of :meth:`to_json_dict`."""
        return canonical_json(self.to_json_dict())

    @classmethod
    def from_json(cls, body: str | bytes) -> ShardMessage:
        """Decode and validate a message body.

        Raises
        ------
        InvalidShardMessage
            ``field`` ``"message"`` for undecodable text; otherwise as :meth:`from_dict`.
        """
        return cls.from_dict(load_json(body, InvalidShardMessage, "message"))

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


_OPTIONAL_FIELDS = ("replications", "seeding", "points", "points_offset")
_MESSAGE_FIELDS = tuple(
    field.name for field in dataclasses.fields(ShardMessage) if field.name != "points_offset"
)


def _message_from_dict(data: object) -> ShardMessage:
    error = InvalidShardMessage
    if not isinstance(data, Mapping):
        raise error("message", f"must be a JSON object, got {describe_value(data)}")
    for name in _MESSAGE_FIELDS:
        if name not in data and name not in _OPTIONAL_FIELDS:
            raise error(name, "is required")
    for key in data:
        if key not in _MESSAGE_FIELDS:
            raise error(str(key), "unknown field")

    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        shown = describe_value(version)
        raise error("schema_version", f"must be {SCHEMA_VERSION!r} (this reader's), got {shown}")
    fingerprint = data["request_fingerprint"]
    if not isinstance(fingerprint, str) or _SHA256_HEX.fullmatch(fingerprint) is None:
        shown = describe_value(fingerprint)
        raise error("request_fingerprint", f"must be 64 lowercase hex digits, got {shown}")

    replications = strict_int(
        data.get("replications", 1), "replications", error, minimum=1, maximum=MAX_REPLICATIONS
    )
    seeding = data.get("seeding", "independent")
    if seeding not in SEEDING_MODES:
        shown = describe_value(seeding)
        raise error("seeding", f"must be one of {', '.join(SEEDING_MODES)}, got {shown}")
    total = strict_int(data["total_points"], "total_points", error, minimum=1)
    start = strict_int(data["start_index"], "start_index", error, minimum=0)
    end = strict_int(data["end_index_exclusive"], "end_index_exclusive", error, minimum=0)
    if end <= start:
        raise error("end_index_exclusive", f"must be greater than start_index {start}, got {end}")
    if end > total:
        raise error("end_index_exclusive", f"must be ≤ total_points {total}, got {end}")

    dimensions: Dimensions = {}
    points: ExplicitPoints | None = None
    offset = 0
    if data.get("points") is not None:
        if data["dimensions"] is not None:
            raise error("points", "a message carries either dimensions or points, not both")
        points, offset = _message_points(data["points"])
        if total % replications:
            raise error(
                "total_points", f"is {total}, not a multiple of replications {replications}"
            )
        first, last = start // replications, (end - 1) // replications
        if offset != first or offset + len(points) != last + 1:
            raise error(
                "points",
                f"must hold design points {first}–{last} of points {start}–{end - 1}, "
                f"holds {offset}–{offset + len(points) - 1}",
            )
    else:
        dimensions = check_dimensions(data["dimensions"], max_values=None)
        expected = total_points(dimensions) * replications
        if total != expected:
            raise error(
                "total_points",
                f"is {total} but the dimensions and replications give {expected} points",
            )
    failures = int_list(data["failure_injection_shards"], "failure_injection_shards", error)
    if any(a >= b for a, b in itertools.pairwise(failures)):
        raise error("failure_injection_shards", "must be sorted ascending without duplicates")

    return ShardMessage(
        schema_version=SCHEMA_VERSION,
        run_id=validate_run_id(data["run_id"]),
        run_date=format_run_date(_string(data["run_date"], "run_date")),
        request_fingerprint=fingerprint,
        dimensions=dimensions,
        total_points=total,
        shard_id=strict_int(data["shard_id"], "shard_id", error, minimum=0),
        start_index=start,
        end_index_exclusive=end,
        seed=strict_int(data["seed"], "seed", error, minimum=I64_MIN),
        failure_injection_shards=tuple(failures),
        replications=replications,
        seeding=seeding,
        points=points,
        points_offset=offset,
    )


def _message_points(value: object) -> tuple[ExplicitPoints, int]:
    """Decode a message's ``points`` (``{offset, names, rows}``), checking every value."""
    error = InvalidShardMessage
    if not isinstance(value, Mapping) or set(value) != {"offset", "names", "rows"}:
        raise error("points", "must be an object with offset, names and rows")
    offset = strict_int(value["offset"], "points.offset", error, minimum=0)
    names, rows = value["names"], value["rows"]
    if not isinstance(names, list) or not isinstance(rows, list):
        raise error("points", "names and rows must be lists")
    if not all(isinstance(row, list) and len(row) == len(names) for row in rows):
        raise error("points.rows", "every row must be a list with one value per name")
    if len(set(map(str, names))) != len(names) or names != sorted(map(str, names)):
        raise error("points.names", "must be sorted and unique")
    objects = [dict(zip(names, row, strict=True)) for row in rows]
    return check_points(objects, "points.rows"), offset


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidShardMessage(field, f"must be a string, got {describe_value(value)}")
    return value
