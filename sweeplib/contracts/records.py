"""Rows of the Athena datasets (DESIGN §3.4), fields in column order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sweeplib.contracts._common import SCHEMA_VERSION
from sweeplib.contracts.request import parameter_fingerprint

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "RECORD_SCHEMA",
    "SHARD_STRATEGY_DERIVED",
    "SHARD_STRATEGY_EXPLICIT",
    "STATUS_ACCEPTED",
    "STATUS_FAILURE",
    "STATUS_SUCCESS",
    "EffectiveParametersRecord",
    "Provenance",
    "RunContextRecord",
    "ShardOutcomeRecord",
    "format_event_time",
]

#: The ``record_schema`` column of every dataset row.
RECORD_SCHEMA = SCHEMA_VERSION

STATUS_SUCCESS: Final = "success"
STATUS_FAILURE: Final = "failure"
#: The ``status_partition`` of run_context rows.
STATUS_ACCEPTED = "accepted"
_POINT_STATUSES = (STATUS_SUCCESS, STATUS_FAILURE)

SHARD_STRATEGY_EXPLICIT = "explicit_shard_count"
SHARD_STRATEGY_DERIVED = "derived_from_shard_size"

_EVENT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z")


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
class Provenance:
    """Which code accepted a run: ``sweeplib_version``, ``kernel_hash`` (SHA-256 of the
    kernel's sources) and ``artifact_sha256`` (the Lambda zip's; ``None`` elsewhere)."""

    sweeplib_version: str
    kernel_hash: str
    artifact_sha256: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunContextRecord:
    """One row of ``run_context``: what was accepted for a run, written once at submission.

    The original's nine columns, then the design (DESIGN §3.6) and the provenance of the
    code, appended (existing tables read them as null in older runs).
    """

    run_id: str
    request_source: str
    record_schema: str = RECORD_SCHEMA
    request_fingerprint: str
    config_fingerprint: str
    total_points: int
    shard_count: int
    shard_strategy: str
    max_shards: int
    design_kind: str = "grid"
    design_points: int
    replications: int = 1
    seeding: str = "independent"
    sweeplib_version: str
    kernel_hash: str
    artifact_sha256: str | None = None

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
    design_point: int
    replicate: int = 0
    point_seed: int

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
        design_point: int,
        replicate: int,
        point_seed: int,
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
            design_point=design_point,
            replicate=replicate,
            point_seed=point_seed,
        )

    def as_row(self) -> dict[str, Any]:
        """The row as a dict, keys in dataset column order."""
        return _row(self)
