"""Consolidation in AWS (ADR 0016) offline: Athena's one statement call replaced, the SQL
it is sent asserted; the records in the in-memory object store (the S3 port's twin)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sweeplib import services
from sweeplib.consolidation import (
    ATHENA_POINT_CHUNK,
    athena_statements,
    consolidate_athena,
    read_consolidation,
)
from sweeplib.contracts import parse_sweep_request
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.errors import QueryError
from sweeplib.query import athena_engine
from sweeplib.query.athena_engine import AthenaQueryEngine
from sweeplib.storage import MemoryObjectStore, keys
from sweeplib.storage.parquet import encode_rows
from sweeplib.storage.schemas import SHARD_OUTCOMES_SCHEMA

NOW = dt.datetime(2026, 2, 14, 9, 0, tzinfo=dt.UTC)
ATHENA_QUERY_LIMIT = 262_144  # bytes of query text Athena accepts
REQUEST = {
    "run_id": "aws-run",
    "dimensions": {"num_riders": [40, 60], "commission_rate": [0.1, 0.2, 0.3]},
    "shard_count": 3,
    "seed": 5,
}


class Accepting:
    def dispatch(self, messages):
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


class FakeAthena:
    def __init__(self, fail_at: int | None = None):
        self.sql: list[str] = []
        self.fail_at = fail_at

    def statement(self, sql):
        self.sql.append(sql)
        if self.fail_at is not None and len(self.sql) == self.fail_at:
            raise QueryError("Athena statement failed: HIVE_PATH_ALREADY_EXISTS")
        return {"Status": {"State": "SUCCEEDED"}}


def _accepted(
    committed: list[int], body: dict | None = None
) -> tuple[MemoryObjectStore, keys.RunAddress]:
    store = MemoryObjectStore()
    request = parse_sweep_request(body or REQUEST)
    services.submit(request, store=store, dispatcher=Accepting(), now=NOW, request_source="api")
    address = keys.RunAddress.of("2026-02-14", "aws-run")
    bounds = {0: (0, 2), 1: (2, 4), 2: (4, 6)}
    for shard in committed:
        row = {
            "run_id": "aws-run",
            "shard_id": shard,
            "status": "success",
            "start_index": bounds[shard][0],
            "end_index_exclusive": bounds[shard][1],
            "event_time": "2026-02-14T09:00:00Z",
            "record_schema": "v1",
            "result_key": None,
            "points_processed": 2,
            "format": "parquet",
            "error_code": None,
            "error_message": None,
        }
        store.put(
            address.shard_outcome_key("success", shard), encode_rows([row], SHARD_OUTCOMES_SCHEMA)
        )
    return store, address


def test_an_explicit_points_design_records_its_dimensions():
    points = [{"num_riders": n, "commission_rate": 0.1} for n in (40, 50, 60)]
    body = {**{k: v for k, v in REQUEST.items() if k != "dimensions"}, "points": points}
    store, _ = _accepted([0, 2], {**body, "replications": 2})
    record = consolidate_athena(store, "aws-run", athena=FakeAthena(), bucket="results", now=NOW)
    assert record is not None and record.dimensions == ("commission_rate", "num_riders")


def test_athena_unloads_each_table_of_the_committed_points_then_commits_the_record():
    store, address = _accepted([0, 2])
    athena = FakeAthena()
    record = consolidate_athena(store, "aws-run", athena=athena, bucket="results", now=NOW)
    assert record is not None and record.engine == "athena"
    assert (record.generation, record.partitions, record.shard_ids) == (0, ("0-0",), (0, 2))
    assert record.points == 4 and record.dimensions == ("commission_rate", "num_riders")
    assert len(athena.sql) == 3
    trips, snapshots, points = athena.sql
    base = "s3://results/serverless-sweeps/outcomes/dataset={}/run_date=2026-02-14/"
    for sql, dataset in (
        (trips, "run_trips"),
        (snapshots, "run_snapshots"),
        (points, "run_points"),
    ):
        assert sql.startswith("UNLOAD (\nSELECT")
        folder = base.format(dataset) + "run_id_partition=aws-run/generation=0-0/"
        assert f"TO '{folder}'" in sql
        assert "WITH (format = 'PARQUET', compression = 'ZSTD')" in sql
        assert "'aws-run'" in sql and "IN ('0', '2')" in sql  # committed shards, literally
        assert "('0', '1', '4', '5')" in sql  # their points, literally (projection)
        assert "'2'," not in sql.split("point_index IN", 1)[1]  # shard 1's points are not
    assert "FROM ride_sim_analytics.sweep_trip_data t" in trips
    assert "FROM ride_sim_analytics.sweep_snapshot_counts t" in snapshots
    assert "JOIN ride_sim_analytics.sweep_effective_parameters p" in points
    assert "CAST(json_extract_scalar(p.effective_parameters_json, " in points
    assert "'$.selected_dimensions.num_riders') AS bigint) AS num_riders" in points
    assert "AS boolean) AS surge_enabled" in points
    assert (
        "CAST(coalesce(m.design_point, p.design_point, CAST(m.point_index AS bigint)) AS bigint)"
        " AS design_point" in points
    )
    stored = read_consolidation(store, address)
    assert stored is not None and stored.partitions == ("0-0",) and stored.engine == "athena"
    again = consolidate_athena(store, "aws-run", athena=athena, bucket="results", now=NOW)
    assert again is not None and not again.changed and len(athena.sql) == 3  # idempotent


def test_a_failed_statement_keeps_the_previous_generation():
    store, address = _accepted([0])
    first = consolidate_athena(store, "aws-run", athena=FakeAthena(), bucket="b", now=NOW)
    assert first is not None and first.shard_ids == (0,)
    more = _accepted([0, 1])[0]  # shard 1 commits later: copy its success record over
    for key in more.list(address.dataset_prefix("shard_outcomes")):
        store.put(key, more.get(key))
    with pytest.raises(QueryError, match="HIVE_PATH_ALREADY_EXISTS"):
        consolidate_athena(store, "aws-run", athena=FakeAthena(fail_at=2), bucket="b", now=NOW)
    stored = read_consolidation(store, address)
    assert stored is not None and stored.generation == 0 and stored.shard_ids == (0,)
    athena = FakeAthena()
    record = consolidate_athena(store, "aws-run", athena=athena, bucket="b", now=NOW)
    assert record is not None and record.generation == 1 and record.shard_ids == (0, 1)
    assert all("generation=1-0/" in sql for sql in athena.sql)


def test_nothing_committed_writes_nothing():
    store, address = _accepted([])
    athena = FakeAthena()
    assert consolidate_athena(store, "aws-run", athena=athena, bucket="b", now=NOW) is None
    assert athena.sql == [] and read_consolidation(store, address) is None


def test_the_largest_plan_is_unloaded_in_statements_athena_accepts():
    address = keys.RunAddress.of("2026-02-14", "big-run")
    size = 200
    ranges = [(s, s * size, (s + 1) * size) for s in range(1000)]  # 200,000 points
    statements = athena_statements(address, bucket="results", generation=4, shard_ranges=ranges)
    chunks = -(-200_000 // ATHENA_POINT_CHUNK)
    assert len(statements) == 3 * chunks
    assert [p for p, _ in statements[::3]] == [f"4-{k}" for k in range(chunks)]
    assert max(len(sql.encode()) for _, sql in statements) < ATHENA_QUERY_LIMIT
    named = set()
    for partition, sql in statements[2::3]:  # the run_points statements
        points = re.search(r"m\.point_index IN \(([^)]*)\)", sql)[1]
        named.update(int(p.strip("' ")) for p in points.split(","))
        assert f"generation={partition}/" in sql
    assert named == set(range(200_000))  # every point once


def test_the_engine_runs_a_statement_through_the_one_boundary_call(monkeypatch):
    calls = []

    def fake(sql, **options):
        calls.append((sql, options))
        return {"QueryExecutionId": "q-1", "Status": {"State": "SUCCEEDED"}}

    monkeypatch.setattr(athena_engine, "_start_query_execution", fake)
    engine = AthenaQueryEngine(workgroup="analysts", output_location="s3://r/athena/")
    assert engine.statement("UNLOAD (SELECT 1) TO 's3://r/x/'")["QueryExecutionId"] == "q-1"
    assert calls == [
        (
            "UNLOAD (SELECT 1) TO 's3://r/x/'",
            {
                "database": "ride_sim_analytics",
                "workgroup": "analysts",
                "boto3_session": None,
                "s3_output": "s3://r/athena/",
            },
        )
    ]

    def failing(sql, **options):
        raise RuntimeError("AccessDenied")

    monkeypatch.setattr(athena_engine, "_start_query_execution", failing)
    with pytest.raises(QueryError, match="AccessDenied") as caught:
        engine.statement("UNLOAD (SELECT 2) TO 's3://r/y/'")
    assert "SELECT 2" in str(caught.value)


def test_tables_without_the_design_columns_fall_back_to_the_point_index(monkeypatch):
    """The registry declares design_point, replicate and point_seed (ADR 0015), so Athena
    reads them (old files: null, then the fallbacks); a registry without them — tables
    created before — gets the fallbacks alone."""
    import pyarrow as pa

    from sweeplib.storage import schemas

    address = keys.RunAddress.of("2026-02-14", "r")
    points = athena_statements(address, bucket="b", generation=0, shard_ranges=[(0, 0, 2)])[2][1]
    assert "CAST(coalesce(m.replicate, p.replicate, CAST(0 AS bigint)) AS bigint) AS replicate" in (
        points
    )
    assert "coalesce(m.point_seed, p.point_seed, TRY_CAST(json_extract_scalar(" in points

    def without_design(schema: pa.Schema) -> pa.Schema:
        return pa.schema([f for f in schema if f.name not in schemas.DESIGN_COLUMNS])

    for name in ("SHARD_METRICS_SCHEMA", "EFFECTIVE_PARAMETERS_SCHEMA"):
        monkeypatch.setattr(schemas, name, without_design(getattr(schemas, name)))
    points = athena_statements(address, bucket="b", generation=0, shard_ranges=[(0, 0, 2)])[2][1]
    assert "CAST(CAST(m.point_index AS bigint) AS bigint) AS design_point" in points
    assert "CAST(CAST(0 AS bigint) AS bigint) AS replicate" in points


def test_the_points_schema_never_carries_a_design_column_twice():
    from sweeplib.storage.schemas import DESIGN_COLUMNS, METRIC_FIELDS, RUN_POINTS_SCHEMA

    names = RUN_POINTS_SCHEMA.names
    assert len(names) == len(set(names))
    assert not set(DESIGN_COLUMNS) & {field.name for field in METRIC_FIELDS}
