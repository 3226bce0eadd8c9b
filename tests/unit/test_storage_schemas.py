"""Dataset schemas: exact names, order, types, nullability; the registry."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sweeplib.errors import InvalidRequest
from sweeplib.storage import keys, schemas
from sweeplib.storage.schemas import DATASET_SPECS, athena_type, dataset_spec

U64, F64, STR = pa.uint64(), pa.float64(), pa.string()


def _layout(schema: pa.Schema) -> list[tuple[str, pa.DataType, bool]]:
    return [(field.name, field.type, field.nullable) for field in schema]


def test_shard_outcomes_schema():
    assert _layout(schemas.SHARD_OUTCOMES_SCHEMA) == [
        ("run_id", STR, False),
        ("shard_id", U64, False),
        ("status", STR, False),
        ("start_index", U64, False),
        ("end_index_exclusive", U64, False),
        ("event_time", STR, False),
        ("record_schema", STR, False),
        ("result_key", STR, True),
        ("points_processed", U64, True),
        ("format", STR, True),
        ("error_code", STR, True),
        ("error_message", STR, True),
    ]


def test_run_context_schema():
    assert _layout(schemas.RUN_CONTEXT_SCHEMA) == [
        ("run_id", STR, False),
        ("request_source", STR, False),
        ("record_schema", STR, False),
        ("request_fingerprint", STR, False),
        ("config_fingerprint", STR, False),
        ("total_points", U64, False),
        ("shard_count", U64, False),
        ("shard_strategy", STR, False),
        ("max_shards", U64, False),
        # appended, ADR 0015: older runs' files lack these (read as null)
        ("design_kind", STR, False),
        ("design_points", U64, False),
        ("replications", U64, False),
        ("seeding", STR, False),
        ("sweeplib_version", STR, False),
        ("kernel_hash", STR, False),
        ("artifact_sha256", STR, True),
    ]


def test_effective_parameters_schema():
    assert _layout(schemas.EFFECTIVE_PARAMETERS_SCHEMA) == [
        ("run_id", STR, False),
        ("shard_id", U64, False),
        ("point_index", U64, False),
        ("status", STR, False),
        ("record_schema", STR, False),
        ("parameter_fingerprint", STR, False),
        ("effective_parameters_json", STR, False),
        ("design_point", U64, False),
        ("replicate", U64, False),
        ("point_seed", U64, False),
    ]


def test_shard_metrics_schema_follows_sim_spec_8_5():
    u64 = ["total_riders", "completed_riders", "abandoned_quote_riders", "cancelled_riders"]
    f64 = [
        "conversion_rate",
        "platform_revenue",
        "driver_payouts",
        "total_fares_collected",
        "avg_time_to_match_ms",
        "median_time_to_match_ms",
        "p90_time_to_match_ms",
        "avg_time_to_pickup_ms",
        "median_time_to_pickup_ms",
        "p90_time_to_pickup_ms",
    ]
    tail = [
        "completed_trips",
        "riders_abandoned_price",
        "riders_abandoned_eta",
        "riders_abandoned_stochastic",
    ]
    appended = ["design_point", "replicate", "point_seed"]  # ADR 0015
    expected = (
        [(n, U64, False) for n in u64]
        + [(n, F64, False) for n in f64]
        + [(n, U64, False) for n in tail]
    )
    assert _layout(schemas.SHARD_METRICS_SCHEMA) == expected + [(n, U64, False) for n in appended]
    assert len(expected) == 18
    assert "total_drivers" not in schemas.SHARD_METRICS_SCHEMA.names


def test_trip_data_schema_follows_sim_spec_8_3():
    assert _layout(schemas.TRIP_DATA_SCHEMA) == [
        ("trip_entity", U64, False),
        ("rider_entity", U64, False),
        ("driver_entity", U64, False),
        ("state", pa.uint8(), False),
        ("pickup_cell", U64, False),
        ("dropoff_cell", U64, False),
        ("pickup_distance_km_at_accept", F64, False),
        ("requested_at", U64, False),
        ("matched_at", U64, False),
        ("pickup_at", U64, True),
        ("dropoff_at", U64, True),
        ("cancelled_at", U64, True),
    ]


def test_snapshot_counts_schema_follows_sim_spec_8_2():
    names = [
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
    ]
    assert _layout(schemas.SNAPSHOT_COUNTS_SCHEMA) == [(n, U64, False) for n in names]


def test_registry_lists_the_datasets_with_athena_table_names():
    assert {name: spec.table_name for name, spec in DATASET_SPECS.items()} == {
        "shard_outcomes": "sweep_shard_outcomes",
        "run_context": "sweep_run_context",
        "effective_parameters": "sweep_effective_parameters",
        "shard_metrics": "sweep_shard_metrics",
        "trip_data": "sweep_trip_data",
        "snapshot_counts": "sweep_snapshot_counts",
        "run_points": "sweep_run_points",
        "run_trips": "sweep_run_trips",
        "run_snapshots": "sweep_run_snapshots",
        "run_consolidation": "sweep_run_consolidation",
    }
    assert schemas.ATHENA_DATABASE == "ride_sim_analytics"
    assert DATASET_SPECS["trip_data"].qualified_table_name == "ride_sim_analytics.sweep_trip_data"


def test_registry_partition_columns():
    assert DATASET_SPECS["shard_outcomes"].partition_columns == (
        "run_date",
        "run_id_partition",
        "status_partition",
        "shard_id_partition",
    )
    assert DATASET_SPECS["run_context"].partition_columns == (
        "run_date",
        "run_id_partition",
        "status_partition",
    )
    assert DATASET_SPECS["effective_parameters"].partition_columns[-1] == "point_index_partition"
    for name in ("shard_metrics", "trip_data", "snapshot_counts"):
        assert DATASET_SPECS[name].partition_columns == (
            "run_date",
            "run_id",
            "status",
            "shard_id",
            "point_index",
        )


@pytest.mark.parametrize("name", keys.DATASETS)
def test_partition_columns_are_not_data_columns(name):
    # Athena rejects a table whose partition key repeats a column.
    spec = DATASET_SPECS[name]
    assert not set(spec.partition_columns) & set(spec.schema.names)


_SAMPLE_KEYS = {
    "shard_outcomes": keys.RunAddress.of("2026-02-14", "r").shard_outcome_key("success", 1),
    "run_context": keys.RunAddress.of("2026-02-14", "r").run_context_key(),
    "effective_parameters": keys.RunAddress.of("2026-02-14", "r").point_key(
        "effective_parameters", "success", 1, 2
    ),
    "shard_metrics": keys.RunAddress.of("2026-02-14", "r").point_key(
        "shard_metrics", "success", 1, 2
    ),
    "trip_data": keys.RunAddress.of("2026-02-14", "r").point_key("trip_data", "success", 1, 2),
    "snapshot_counts": keys.RunAddress.of("2026-02-14", "r").point_key(
        "snapshot_counts", "success", 1, 2
    ),
    **{
        name: keys.RunAddress.of("2026-02-14", "r").run_table_key(name, 3)
        for name in keys.RUN_TABLE_DATASETS
    },
    "run_consolidation": keys.RunAddress.of("2026-02-14", "r").consolidation_key(),
}


@pytest.mark.parametrize("name", keys.DATASETS)
def test_partition_columns_match_the_key_layout(name):
    # serverless-sweeps/outcomes/dataset=…/<partitions>/part-0.parquet
    segments = _SAMPLE_KEYS[name].split("/")[3:-1]
    names = tuple(segment.split("=")[0] for segment in segments)
    assert names == DATASET_SPECS[name].partition_columns


def test_athena_columns_declare_unsigned_as_signed_types():
    trip = dict(DATASET_SPECS["trip_data"].athena_columns)
    assert trip["trip_entity"] == "bigint"
    assert trip["state"] == "tinyint"
    assert trip["pickup_distance_km_at_accept"] == "double"
    assert dict(DATASET_SPECS["run_context"].athena_columns)["shard_strategy"] == "string"
    with pytest.raises(ValueError, match="no Athena type"):
        athena_type(pa.int16())


def test_dataset_spec_lookup_by_name_or_table():
    assert dataset_spec("trip_data") is DATASET_SPECS["trip_data"]
    assert dataset_spec("sweep_trip_data") is DATASET_SPECS["trip_data"]
    with pytest.raises(InvalidRequest, match="known: shard_outcomes, run_context"):
        dataset_spec("trips")


def test_the_kernels_outputs_become_the_registrys_tables():
    """The registry is the one copy of the schemas: the kernel's columns convert to them."""
    from sweeplib.sim import METRIC_NAMES, ScenarioParams, simulate
    from sweeplib.storage.parquet import table_from_columns, table_from_rows

    result = simulate(ScenarioParams(num_riders=120, num_drivers=40, match_radius=3, seed=16))
    trips = table_from_columns(result.trip_data, schemas.TRIP_DATA_SCHEMA)
    assert trips.num_rows == result.trip_count > 0
    snapshots = table_from_columns(result.snapshot_counts, schemas.SNAPSHOT_COUNTS_SCHEMA)
    assert snapshots.num_rows == result.snapshot_count > 0
    point = {"design_point": 0, "replicate": 0, "point_seed": 16}
    metrics = {**result.metrics, **point}
    metrics = {name: metrics[name] for name in schemas.SHARD_METRICS_SCHEMA.names}
    assert table_from_rows([metrics], schemas.SHARD_METRICS_SCHEMA).num_rows == 1
    assert [*schemas.SHARD_METRICS_SCHEMA.names[:18], "total_drivers"] == list(METRIC_NAMES)


@pytest.mark.parametrize("module_name", ["sweeplib.storage", "sweeplib.query"])
def test_curated_exports_resolve(module_name):
    module = __import__(module_name, fromlist=["__all__"])
    assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
    for name in module.__all__:
        assert getattr(module, name) is not None, name
