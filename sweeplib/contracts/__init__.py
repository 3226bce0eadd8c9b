"""The contracts other systems depend on (DESIGN §3): requests, shard messages, records.

* :func:`parse_sweep_request` turns a request body into a normalized, fully validated
  :class:`SweepRequest` (every value of every dimension is checked here, at submit time)
  — module :mod:`~sweeplib.contracts.request`;
* :func:`canonical_json` is the one serialisation every fingerprint hashes;
* :class:`ShardMessage` is the queue message of one shard; :meth:`ShardMessage.from_json`
  refuses anything malformed with :class:`~sweeplib.errors.InvalidShardMessage`
  — module :mod:`~sweeplib.contracts.message`;
* :class:`ShardOutcomeRecord`, :class:`RunContextRecord` and
  :class:`EffectiveParametersRecord` are rows of the Athena datasets, fields in column
  order — module :mod:`~sweeplib.contracts.records`.

Everything here is pure: no clock, no environment, no filesystem. Dates and times are
passed in.
"""

from __future__ import annotations

from sweeplib.contracts._common import (
    SCHEMA_VERSION,
    JSONValue,
    canonical_json,
    format_run_date,
    sha256_hex,
    validate_run_id,
)
from sweeplib.contracts.message import ShardMessage
from sweeplib.contracts.records import (
    RECORD_SCHEMA,
    SHARD_STRATEGY_DERIVED,
    SHARD_STRATEGY_EXPLICIT,
    STATUS_ACCEPTED,
    STATUS_FAILURE,
    STATUS_SUCCESS,
    EffectiveParametersRecord,
    Provenance,
    RunContextRecord,
    ShardOutcomeRecord,
    format_event_time,
)
from sweeplib.contracts.request import (
    DEFAULT_LIMITS,
    Dimensions,
    Limits,
    SweepRequest,
    config_fingerprint,
    parameter_fingerprint,
    parse_sweep_request,
    parse_sweep_request_json,
    request_fingerprint,
)
from sweeplib.dimensions import JSONScalar

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
    "Provenance",
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
