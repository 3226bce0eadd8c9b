"""Arrow schemas of the outcome datasets and the run-level tables, and the dataset registry.

Column names, order, types and nullability of the six per-run datasets are the Parquet
contract of the original system (DESIGN §3.4, SIM_SPEC §8.2/§8.3/§8.5). Unsigned
integers are written as unsigned Parquet integers; Athena declares them ``bigint``
(``tinyint`` for the ``uint8`` trip state). Partition values live only in the object
key, never in the file.

The run-level tables (DESIGN §3.7, ADR 0016) are new: ``run_points`` (one row per
committed point: identity, one typed column per accepted dimension — null where the run
does not set it — and every metric, unrounded), ``run_trips`` and ``run_snapshots`` (the
per-point rows with the point's identity in front), and ``run_consolidation`` (one row:
which generation of the tables is current and which shards it holds). Their schemas are
fixed — every accepted dimension has its column — so one Athena table serves every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from sweeplib.checks import Flag, IntRange, RealRange
from sweeplib.dimensions import DIMENSIONS
from sweeplib.errors import InvalidRequest
from sweeplib.storage.keys import DATASETS, PARTITION_COLUMNS, Dataset

__all__ = [
    "ATHENA_DATABASE",
    "DATASET_SPECS",
    "DESIGN_COLUMNS",
    "DIMENSION_COLUMN_TYPES",
    "EFFECTIVE_PARAMETERS_SCHEMA",
    "METRIC_FIELDS",
    "POINT_IDENTITY_COLUMNS",
    "PROVENANCE_COLUMNS",
    "RUN_CONSOLIDATION_SCHEMA",
    "RUN_CONTEXT_SCHEMA",
    "RUN_POINTS_SCHEMA",
    "RUN_SNAPSHOTS_SCHEMA",
    "RUN_TRIPS_SCHEMA",
    "SHARD_METRICS_SCHEMA",
    "SHARD_OUTCOMES_SCHEMA",
    "SNAPSHOT_COUNTS_SCHEMA",
    "TRIP_DATA_SCHEMA",
    "DatasetSpec",
    "athena_type",
    "dataset_spec",
]

ATHENA_DATABASE: Final = "ride_sim_analytics"

_U64 = pa.uint64()
_F64 = pa.float64()
_STR = pa.string()


def _required(name: str, type_: pa.DataType) -> pa.Field:
    return pa.field(name, type_, nullable=False)


def _optional(name: str, type_: pa.DataType) -> pa.Field:
    return pa.field(name, type_, nullable=True)


SHARD_OUTCOMES_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("shard_id", _U64),
        _required("status", _STR),
        _required("start_index", _U64),
        _required("end_index_exclusive", _U64),
        _required("event_time", _STR),
        _required("record_schema", _STR),
        _optional("result_key", _STR),
        _optional("points_processed", _U64),
        _optional("format", _STR),
        _optional("error_code", _STR),
        _optional("error_message", _STR),
    ]
)

RUN_CONTEXT_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("request_source", _STR),
        _required("record_schema", _STR),
        _required("request_fingerprint", _STR),
        _required("config_fingerprint", _STR),
        _required("total_points", _U64),
        _required("shard_count", _U64),
        _required("shard_strategy", _STR),
        _required("max_shards", _U64),
        # Appended (DESIGN §3.6, ADR 0015): the design and the code that accepted the run.
        _required("design_kind", _STR),
        _required("design_points", _U64),
        _required("replications", _U64),
        _required("seeding", _STR),
        _required("sweeplib_version", _STR),
        _required("kernel_hash", _STR),
        _optional("artifact_sha256", _STR),
    ]
)

EFFECTIVE_PARAMETERS_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("shard_id", _U64),
        _required("point_index", _U64),
        _required("status", _STR),
        _required("record_schema", _STR),
        _required("parameter_fingerprint", _STR),
        _required("effective_parameters_json", _STR),
        # Appended (DESIGN §3.6, ADR 0015): which design point and replicate, which seed.
        _required("design_point", _U64),
        _required("replicate", _U64),
        _required("point_seed", _U64),
    ]
)

SHARD_METRICS_SCHEMA: Final = pa.schema(
    [
        _required("total_riders", _U64),
        _required("completed_riders", _U64),
        _required("abandoned_quote_riders", _U64),
        _required("cancelled_riders", _U64),
        _required("conversion_rate", _F64),
        _required("platform_revenue", _F64),
        _required("driver_payouts", _F64),
        _required("total_fares_collected", _F64),
        _required("avg_time_to_match_ms", _F64),
        _required("median_time_to_match_ms", _F64),
        _required("p90_time_to_match_ms", _F64),
        _required("avg_time_to_pickup_ms", _F64),
        _required("median_time_to_pickup_ms", _F64),
        _required("p90_time_to_pickup_ms", _F64),
        _required("completed_trips", _U64),
        _required("riders_abandoned_price", _U64),
        _required("riders_abandoned_eta", _U64),
        _required("riders_abandoned_stochastic", _U64),
        # Appended (DESIGN §3.6, ADR 0015): which design point and replicate, which seed.
        _required("design_point", _U64),
        _required("replicate", _U64),
        _required("point_seed", _U64),
    ]
)

TRIP_DATA_SCHEMA: Final = pa.schema(
    [
        _required("trip_entity", _U64),
        _required("rider_entity", _U64),
        _required("driver_entity", _U64),
        _required("state", pa.uint8()),
        _required("pickup_cell", _U64),
        _required("dropoff_cell", _U64),
        _required("pickup_distance_km_at_accept", _F64),
        _required("requested_at", _U64),
        _required("matched_at", _U64),
        _optional("pickup_at", _U64),
        _optional("dropoff_at", _U64),
        _optional("cancelled_at", _U64),
    ]
)

SNAPSHOT_COUNTS_SCHEMA: Final = pa.schema(
    [
        _required(name, _U64)
        for name in (
            "timestamp_ms",
            "riders_browsing",
            "riders_waiting",
            "riders_in_transit",
            "riders_completed",
            "riders_cancelled",
            "drivers_idle",
            "drivers_evaluating",
            "drivers_en_route",
            "drivers_on_trip",
            "drivers_off_duty",
            "trips_en_route",
            "trips_on_trip",
            "trips_completed",
            "trips_cancelled",
        )
    ]
)


def _dimension_type(name: str) -> pa.DataType:
    check = DIMENSIONS[name].check
    if isinstance(check, IntRange):
        return pa.int64()
    if isinstance(check, RealRange):
        return _F64
    if isinstance(check, Flag):
        return pa.bool_()
    return _STR  # a Choice: the value as given (spellings are not canonicalized)


#: Arrow type of each accepted dimension's column in ``run_points``: integers ``int64``,
#: numbers ``float64``, booleans ``bool``, choices ``string`` (the value as requested).
DIMENSION_COLUMN_TYPES: Final[Mapping[str, pa.DataType]] = {
    name: _dimension_type(name) for name in sorted(DIMENSIONS)
}

#: Per-point columns the designs work appends to shard_metrics / effective_parameters
#: (DESIGN §3.6). They are identity, not metrics: run_points carries them as
#: design_point / replicate / seed, never twice.
DESIGN_COLUMNS: Final = ("design_point", "replicate", "point_seed")

#: The metric columns of shard_metrics (its fields, without appended design columns).
METRIC_FIELDS: Final = tuple(f for f in SHARD_METRICS_SCHEMA if f.name not in DESIGN_COLUMNS)

#: Provenance of the run (its run_context record), repeated on every run_points row so a
#: points table read on its own says which code produced it (null for runs accepted
#: before run_context carried them).
PROVENANCE_COLUMNS: Final = ("sweeplib_version", "kernel_hash", "artifact_sha256")

#: The identity of a point in every run-level table, in front of its own columns.
POINT_IDENTITY_COLUMNS: Final = ("run_id", "shard_id", "point_index")

RUN_POINTS_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("shard_id", _U64),
        _required("point_index", _U64),
        _required("design_point", _U64),
        _required("replicate", _U64),
        _optional("seed", _U64),
        _required("status", _STR),
        _required("parameter_fingerprint", _STR),
        _required("selected_dimensions", _STR),
        *(_optional(name, type_) for name, type_ in DIMENSION_COLUMN_TYPES.items()),
        *METRIC_FIELDS,
        *(_optional(name, _STR) for name in PROVENANCE_COLUMNS),
    ]
)

RUN_TRIPS_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("shard_id", _U64),
        _required("point_index", _U64),
        *TRIP_DATA_SCHEMA,
    ]
)

RUN_SNAPSHOTS_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("shard_id", _U64),
        _required("point_index", _U64),
        *SNAPSHOT_COUNTS_SCHEMA,
    ]
)

RUN_CONSOLIDATION_SCHEMA: Final = pa.schema(
    [
        _required("run_id", _STR),
        _required("generation", _U64),
        _required("partitions", _STR),
        _required("consolidated_at", _STR),
        _required("engine", _STR),
        _required("dimensions", _STR),
        _required("shard_ids", _STR),
        _required("shards", _U64),
        _required("points", _U64),
        _required("trips", _U64),
        _required("snapshots", _U64),
    ]
)

_ATHENA_TYPES: Final[Mapping[pa.DataType, str]] = {
    pa.bool_(): "boolean",
    pa.uint64(): "bigint",
    pa.int64(): "bigint",
    pa.uint8(): "tinyint",
    pa.float64(): "double",
    pa.string(): "string",
}


def athena_type(type_: pa.DataType) -> str:
    """Athena (Hive DDL) type that declares an Arrow column type of these datasets.

    Parameters
    ----------
    type_
        ``uint64``/``int64`` → ``bigint``, ``uint8`` → ``tinyint``, ``float64`` →
        ``double``, ``string`` → ``string``, ``bool`` → ``boolean``.

    Raises
    ------
    ValueError
        For a type the datasets do not use.
    """
    try:
        return _ATHENA_TYPES[type_]
    except KeyError:
        raise ValueError(f"no Athena type mapping for Arrow type {type_}") from None


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One dataset: its file schema, Athena table and partition columns (path order)."""

    name: Dataset
    schema: pa.Schema
    table_name: str
    partition_columns: tuple[str, ...]

    @property
    def qualified_table_name(self) -> str:
        """``ride_sim_analytics.<table_name>``."""
        return f"{ATHENA_DATABASE}.{self.table_name}"

    @property
    def athena_columns(self) -> tuple[tuple[str, str], ...]:
        """``(name, athena type)`` of the data columns, in file order."""
        return tuple((field.name, athena_type(field.type)) for field in self.schema)


_SCHEMAS: Final[Mapping[Dataset, pa.Schema]] = {
    "shard_outcomes": SHARD_OUTCOMES_SCHEMA,
    "run_context": RUN_CONTEXT_SCHEMA,
    "effective_parameters": EFFECTIVE_PARAMETERS_SCHEMA,
    "shard_metrics": SHARD_METRICS_SCHEMA,
    "trip_data": TRIP_DATA_SCHEMA,
    "snapshot_counts": SNAPSHOT_COUNTS_SCHEMA,
    "run_points": RUN_POINTS_SCHEMA,
    "run_trips": RUN_TRIPS_SCHEMA,
    "run_snapshots": RUN_SNAPSHOTS_SCHEMA,
    "run_consolidation": RUN_CONSOLIDATION_SCHEMA,
}

DATASET_SPECS: Final[Mapping[Dataset, DatasetSpec]] = {
    name: DatasetSpec(
        name=name,
        schema=_SCHEMAS[name],
        table_name=f"sweep_{name}",
        partition_columns=PARTITION_COLUMNS[name],
    )
    for name in DATASETS
}


def dataset_spec(name: str) -> DatasetSpec:
    """Look up a dataset by name (e.g. ``"shard_metrics"``) or Athena table name.

    Raises
    ------
    InvalidRequest
        Naming the known datasets, if ``name`` is neither.
    """
    for spec in DATASET_SPECS.values():
        if name in (spec.name, spec.table_name):
            return spec
    raise InvalidRequest("dataset", f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
