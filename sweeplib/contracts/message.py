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
from sweeplib.contracts.request import Dimensions, check_dimensions, total_points
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

    @property
    def size(self) -> int:
        """The number of points in the shard."""
        return self.end_index_exclusive - self.start_index

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


_MESSAGE_FIELDS = tuple(field.name for field in dataclasses.fields(ShardMessage))


def _message_from_dict(data: object) -> ShardMessage:
    error = InvalidShardMessage
    if not isinstance(data, Mapping):
        raise error("message", f"must be a JSON object, got {describe_value(data)}")
    for name in _MESSAGE_FIELDS:
        if name not in data:
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

    dimensions = check_dimensions(data["dimensions"], max_values=None)
    total = strict_int(data["total_points"], "total_points", error, minimum=1)
    if total != total_points(dimensions):
        raise error(
            "total_points",
            f"is {total} but the dimensions have {total_points(dimensions)} points",
        )
    start = strict_int(data["start_index"], "start_index", error, minimum=0)
    end = strict_int(data["end_index_exclusive"], "end_index_exclusive", error, minimum=0)
    if end <= start:
        raise error("end_index_exclusive", f"must be greater than start_index {start}, got {end}")
    if end > total:
        raise error("end_index_exclusive", f"must be ≤ total_points {total}, got {end}")
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
    )


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidShardMessage(field, f"must be a string, got {describe_value(value)}")
    return value
