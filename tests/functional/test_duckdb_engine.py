"""DuckDB engine over a local outcome folder written with the real key builders,
encoder and local store, queried through the Athena table names."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sweeplib.errors import QueryError
from sweeplib.query import DuckDBQueryEngine, QueryEngine
from sweeplib.storage import (
    RUN_CONTEXT_SCHEMA,
    SHARD_METRICS_SCHEMA,
    SHARD_OUTCOMES_SCHEMA,
    LocalObjectStore,
    encode_rows,
    keys,
)
from sweeplib.storage.schemas import DATASET_SPECS

RUN_DATE = "2026-02-14"
RUN_ID = "run-123"


def outcome(shard_id, status, **overrides):
    row = {
        "run_id": RUN_ID,
        "shard_id": shard_id,
        "status": status,
        "start_index": 2 * shard_id,
        "end_index_exclusive": 2 * shard_id + 2,
        "event_time": "2026-02-14T10:00:00Z",
        "record_schema": "v1",
        "result_key": None,
        "points_processed": None,
        "format": None,
        "error_code": None,
        "error_message": None,
    }
    row.update(overrides)
    return row


def metrics(total_riders, completed_riders):
    row = {name: 0.0 for name in SHARD_METRICS_SCHEMA.names[:18]}
    for field in OLD_SHARD_METRICS_SCHEMA:
        if pa.types.is_unsigned_integer(field.type):
            row[field.name] = 0
    row.update(
        total_riders=total_riders,
        completed_riders=completed_riders,
        completed_trips=completed_riders,
        conversion_rate=completed_riders / total_riders,
        platform_revenue=12.5 * completed_riders,
    )
    return row


#: shard_metrics as written before ADR 0015 appended design_point, replicate, point_seed.
OLD_SHARD_METRICS_SCHEMA = pa.schema(list(SHARD_METRICS_SCHEMA)[:18])


def write_sample_run(store: LocalObjectStore) -> None:
    store.put(
        keys.RunAddress.of(RUN_DATE, RUN_ID).run_context_key(),
        encode_rows(
            [
                {
                    "run_id": RUN_ID,
                    "request_source": "test",
                    "record_schema": "v1",
                    "request_fingerprint": "a" * 64,
                    "config_fingerprint": "b" * 64,
                    "total_points": 4,
                    "shard_count": 2,
                    "shard_strategy": "explicit_shard_count",
                    "max_shards": 1000,
                }
            ],
            # Written before the appended columns existed (ADR 0015): the views read them
            # as null.
            pa.schema(list(RUN_CONTEXT_SCHEMA)[:9]),
        ),
    )
    # Shard 0: a first attempt failed, the retry succeeded. Shard 1 failed.
    shard_outcomes = [
        (
            0,
            "failure",
            {
                "error_code": "transient",
                "error_message": "boom",
                "event_time": "2026-02-14T10:00:00Z",
            },
        ),
        (
            0,
            "success",
            {
                "points_processed": 2,
                "format": "parquet",
                "result_key": "serverless-sweeps/outcomes/dataset=shard_metrics/",
                "event_time": "2026-02-14T10:00:03.250Z",
            },
        ),
        (
            1,
            "failure",
            {
                "error_code": "injected_failure",
                "error_message": "on purpose",
                "event_time": "2026-02-14T10:00:05Z",
            },
        ),
    ]
    for shard_id, status, extra in shard_outcomes:
        store.put(
            keys.RunAddress.of(RUN_DATE, RUN_ID).shard_outcome_key(status, shard_id),
            encode_rows([outcome(shard_id, status, **extra)], SHARD_OUTCOMES_SCHEMA),
        )
    for point_index, (total, completed) in enumerate([(10, 8), (20, 5)]):
        store.put(
            keys.RunAddress.of(RUN_DATE, RUN_ID).point_key(
                "shard_metrics", "success", 0, point_index
            ),
            encode_rows([metrics(total, completed)], OLD_SHARD_METRICS_SCHEMA),
        )


@pytest.fixture
def data_dir(tmp_path):
    write_sample_run(LocalObjectStore(tmp_path))
    return tmp_path


@pytest.fixture
def engine(data_dir):
    with DuckDBQueryEngine(data_dir) as engine:
        yield engine


def test_engine_implements_the_port(engine):
    assert isinstance(engine, QueryEngine)


def test_shard_outcomes_through_athena_table_name(engine):
    table = engine.execute(
        "SELECT shard_id, status, error_code, points_processed, run_date, run_id_partition, "
        "status_partition, shard_id_partition "
        "FROM ride_sim_analytics.sweep_shard_outcomes ORDER BY shard_id, status"
    )
    assert table.to_pylist() == [
        {
            "shard_id": 0,
            "status": "failure",
            "error_code": "transient",
            "points_processed": None,
            "run_date": RUN_DATE,
            "run_id_partition": RUN_ID,
            "status_partition": "failure",
            "shard_id_partition": "0",
        },
        {
            "shard_id": 0,
            "status": "success",
            "error_code": None,
            "points_processed": 2,
            "run_date": RUN_DATE,
            "run_id_partition": RUN_ID,
            "status_partition": "success",
            "shard_id_partition": "0",
        },
        {
            "shard_id": 1,
            "status": "failure",
            "error_code": "injected_failure",
            "points_processed": None,
            "run_date": RUN_DATE,
            "run_id_partition": RUN_ID,
            "status_partition": "failure",
            "shard_id_partition": "1",
        },
    ]


def test_columns_have_athena_types_and_partition_columns_are_strings(engine):
    schema = engine.execute("SELECT * FROM sweep_shard_outcomes").schema
    spec = DATASET_SPECS["shard_outcomes"]
    assert schema.names == [*spec.schema.names, *spec.partition_columns]
    assert schema.field("shard_id").type == pa.int64()  # uint64 in Parquet, bigint in Athena
    assert schema.field("event_time").type == pa.string()
    for name in spec.partition_columns:
        assert schema.field(name).type == pa.string()


def test_shard_metrics_partition_columns_are_strings(engine):
    table = engine.execute(
        "SELECT run_date, run_id, status, shard_id, point_index, total_riders "
        "FROM sweep_shard_metrics ORDER BY point_index"
    )
    assert {table.schema.field(n).type for n in table.column_names[:5]} == {pa.string()}
    assert table.column("point_index").to_pylist() == ["0", "1"]
    assert table.column("run_date").to_pylist() == [RUN_DATE, RUN_DATE]
    # Partition filters compare strings, as in Athena.
    one = engine.execute("SELECT total_riders FROM sweep_shard_metrics WHERE point_index = '1'")
    assert one.to_pylist() == [{"total_riders": 20}]


def test_aggregates_and_integer_division_behave_like_athena(engine):
    table = engine.execute(
        "SELECT sum(total_riders) AS riders, "
        "sum(completed_riders) / sum(total_riders) AS int_ratio, "
        "CAST(sum(completed_riders) AS DOUBLE) / sum(total_riders) AS ratio, "
        "avg(conversion_rate) AS mean_conversion "
        "FROM sweep_shard_metrics WHERE run_id = 'run-123'"
    )
    assert table.schema.field("riders").type == pa.int64()  # not DuckDB's HUGEINT/decimal
    assert table.to_pylist() == [
        {"riders": 30, "int_ratio": 0, "ratio": 13 / 30, "mean_conversion": (0.8 + 0.25) / 2}
    ]


def test_dedup_by_shard_preferring_success(engine):
    sql = """
        WITH ranked AS (
            SELECT shard_id, status, row_number() OVER (
                PARTITION BY run_id, shard_id
                ORDER BY CASE status WHEN 'success' THEN 0 ELSE 1 END, event_time DESC) AS rn
            FROM sweep_shard_outcomes WHERE run_id_partition = 'run-123')
        SELECT count_if(status = 'success') AS succeeded, count_if(status = 'failure') AS failed
        FROM ranked WHERE rn = 1
    """
    assert engine.execute(sql).to_pylist() == [{"succeeded": 1, "failed": 1}]


def test_event_time_arithmetic(engine):
    sql = """
        SELECT date_diff('millisecond',
                         min(from_iso8601_timestamp(event_time)),
                         max(from_iso8601_timestamp(event_time))) AS span_ms
        FROM sweep_shard_outcomes
    """
    assert engine.execute(sql).to_pylist() == [{"span_ms": 5000}]


def test_run_context_join(engine):
    sql = """
        SELECT c.total_points, c.shard_count, count(o.shard_id) AS outcomes
        FROM sweep_run_context c
        JOIN sweep_shard_outcomes o
          ON o.run_id_partition = c.run_id_partition AND o.run_date = c.run_date
        GROUP BY c.total_points, c.shard_count
    """
    assert engine.execute(sql).to_pylist() == [{"total_points": 4, "shard_count": 2, "outcomes": 3}]


def test_path_pseudo_column(engine, data_dir):
    table = engine.execute(
        'SELECT "$path" AS path, point_index FROM sweep_shard_metrics ORDER BY point_index'
    )
    expected = [
        (
            data_dir
            / keys.RunAddress.of(RUN_DATE, RUN_ID).point_key("shard_metrics", "success", 0, p)
        ).as_posix()
        for p in (0, 1)
    ]
    assert table.column("path").to_pylist() == expected
    # Without "$path", SELECT * has exactly the Athena columns.
    assert "$path" not in engine.execute("SELECT * FROM sweep_shard_metrics").column_names


def test_fresh_folder_has_empty_typed_views(tmp_path):
    with DuckDBQueryEngine(tmp_path / "nothing-yet") as engine:
        for spec in DATASET_SPECS.values():
            table = engine.execute(f"SELECT * FROM ride_sim_analytics.{spec.table_name}")
            assert table.num_rows == 0
            assert table.column_names == [*spec.schema.names, *spec.partition_columns]
        schema = engine.execute("SELECT * FROM sweep_trip_data").schema
        assert schema.field("state").type == pa.int8()  # tinyint
        assert schema.field("run_date").type == pa.string()
        assert engine.execute("SELECT count(*) AS n FROM sweep_trip_data").to_pylist() == [{"n": 0}]


def test_files_written_after_engine_creation_are_seen(tmp_path):
    store = LocalObjectStore(tmp_path)
    with DuckDBQueryEngine(tmp_path) as engine:
        count = "SELECT count(*) AS n FROM sweep_shard_metrics"
        assert engine.execute(count).to_pylist() == [{"n": 0}]
        store.put(
            keys.RunAddress.of(RUN_DATE, "late").point_key("shard_metrics", "success", 0, 0),
            encode_rows([metrics(5, 5)], OLD_SHARD_METRICS_SCHEMA),
        )
        assert engine.execute(count).to_pylist() == [{"n": 1}]
        point = {"design_point": 0, "replicate": 1, "point_seed": 7}
        store.put(
            keys.RunAddress.of(RUN_DATE, "late").point_key("shard_metrics", "success", 0, 1),
            encode_rows([{**metrics(5, 4), **point}], SHARD_METRICS_SCHEMA),
        )
        assert engine.execute(count).to_pylist() == [{"n": 2}]
        # An old file and a new one: the appended columns are null in the old (ADR 0015).
        rows = engine.execute(
            "SELECT point_index, design_point, replicate, point_seed FROM sweep_shard_metrics "
            "ORDER BY point_index"
        ).to_pylist()
        assert rows == [
            {"point_index": "0", "design_point": None, "replicate": None, "point_seed": None},
            {"point_index": "1", "design_point": 0, "replicate": 1, "point_seed": 7},
        ]


def test_custom_prefix(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put(
        keys.RunAddress.of(RUN_DATE, RUN_ID, prefix="mine").point_key(
            "shard_metrics", "success", 0, 0
        ),
        encode_rows([metrics(3, 3)], OLD_SHARD_METRICS_SCHEMA),
    )
    with DuckDBQueryEngine(tmp_path, prefix="/mine/") as engine:
        assert engine.execute("SELECT total_riders FROM sweep_shard_metrics").to_pylist() == [
            {"total_riders": 3}
        ]
    with DuckDBQueryEngine(tmp_path) as engine:  # default prefix: nothing there
        assert engine.execute("SELECT * FROM sweep_shard_metrics").num_rows == 0


def test_duckdb_dialect_runs_as_is(engine):
    # In DuckDB's own dialect `/` is fractional division.
    table = engine.execute(
        "SELECT 7 / 2 AS x, list_value(1, 2) AS l FROM sweep_run_context", dialect="duckdb"
    )
    assert table.to_pylist() == [{"x": 3.5, "l": [1, 2]}]


def test_errors_carry_duckdb_message_and_sql(engine):
    with pytest.raises(QueryError) as info:
        engine.execute("SELECT no_such_column FROM sweep_run_context")
    message = str(info.value)
    assert "no_such_column" in message
    assert "-- DuckDB SQL:" in message
    assert "FROM sweep_run_context" in message


def test_unsupported_construct_and_unknown_dialect_raise_query_error(engine):
    with pytest.raises(QueryError, match="weight"):
        engine.execute("SELECT approx_percentile(total_riders, 2, 0.5) FROM sweep_shard_metrics")
    with pytest.raises(QueryError, match="unknown dialect"):
        engine.execute("SELECT 1", dialect="spark")  # type: ignore[arg-type]


# -- run-restricted references read the run's own folder (issue 11) -----------------------


def _metrics_key(run_id, shard_id, point_index):
    return keys.RunAddress.of(RUN_DATE, run_id).point_key(
        "shard_metrics", "success", shard_id, point_index
    )


def test_a_run_restricted_query_reads_only_that_runs_folder(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put(_metrics_key("good", 0, 0), encode_rows([metrics(4, 2)], OLD_SHARD_METRICS_SCHEMA))
    store.put(_metrics_key("other", 0, 0), b"not a parquet file")  # any read of it fails
    with DuckDBQueryEngine(tmp_path) as engine:
        scoped = engine.execute(
            "SELECT m.total_riders, m.run_id FROM ride_sim_analytics.sweep_shard_metrics m "
            "WHERE m.run_id = 'good' AND m.status = 'success'"
        )
        assert scoped.to_pylist() == [{"total_riders": 4, "run_id": "good"}]
        unaliased = "SELECT count(*) AS n FROM sweep_shard_metrics WHERE 'good' = run_id"
        assert engine.execute(unaliased).to_pylist() == [{"n": 1}]
        # Without a run restriction the query reads every run's files, the broken one too.
        with pytest.raises(QueryError):
            engine.execute("SELECT count(*) FROM sweep_shard_metrics WHERE run_id <> 'x'")
        with pytest.raises(QueryError):
            engine.execute("SELECT count(*) FROM sweep_shard_metrics WHERE run_id = 'good' OR true")


def test_a_run_mixing_old_and_new_files_reads_the_appended_columns(tmp_path):
    store = LocalObjectStore(tmp_path)
    point = {"design_point": 3, "replicate": 1, "point_seed": 9}
    # Shard 0 written before ADR 0015 appended the columns, shard 1 after.
    store.put(_metrics_key("mix", 0, 0), encode_rows([metrics(4, 2)], OLD_SHARD_METRICS_SCHEMA))
    store.put(
        _metrics_key("mix", 1, 1), encode_rows([{**metrics(5, 5), **point}], SHARD_METRICS_SCHEMA)
    )
    sql = (
        "SELECT point_index, design_point, point_seed FROM sweep_shard_metrics "
        "WHERE run_id = 'mix' ORDER BY point_index"
    )
    expected = [
        {"point_index": "0", "design_point": None, "point_seed": None},
        {"point_index": "1", "design_point": 3, "point_seed": 9},
    ]
    with DuckDBQueryEngine(tmp_path) as engine:
        assert engine.execute(sql).to_pylist() == expected
    # One shard mixing them (the per-shard sample cannot see it): DuckDB reports the
    # mismatch and the engine unifies by name.
    store.put(
        _metrics_key("mix", 0, 2), encode_rows([{**metrics(5, 5), **point}], SHARD_METRICS_SCHEMA)
    )
    store.put(_metrics_key("mix", 1, 3), encode_rows([metrics(4, 2)], OLD_SHARD_METRICS_SCHEMA))
    with DuckDBQueryEngine(tmp_path) as engine:
        rows = engine.execute(sql).to_pylist()
    assert [r["point_seed"] for r in rows] == [None, 9, 9, None]


def test_a_run_view_sees_files_and_shards_written_later(tmp_path):
    store = LocalObjectStore(tmp_path)
    sql = (
        "SELECT count(*) AS n, sum(point_seed) AS seeds FROM sweep_shard_metrics WHERE run_id = 'r'"
    )
    point = {"design_point": 0, "replicate": 0, "point_seed": 5}
    with DuckDBQueryEngine(tmp_path) as engine:
        assert engine.execute(sql).to_pylist() == [{"n": 0, "seeds": None}]
        store.put(_metrics_key("r", 0, 0), encode_rows([metrics(4, 2)], OLD_SHARD_METRICS_SCHEMA))
        assert engine.execute(sql).to_pylist() == [{"n": 1, "seeds": None}]
        store.put(_metrics_key("r", 0, 1), encode_rows([metrics(4, 2)], OLD_SHARD_METRICS_SCHEMA))
        assert engine.execute(sql).to_pylist() == [{"n": 2, "seeds": None}]
        store.put(
            _metrics_key("r", 1, 2), encode_rows([{**metrics(1, 1), **point}], SHARD_METRICS_SCHEMA)
        )
        assert engine.execute(sql).to_pylist() == [{"n": 3, "seeds": 5}]


def test_a_run_view_over_few_files_looks_at_every_file_and_its_changes(tmp_path):
    store = LocalObjectStore(tmp_path)
    address = keys.RunAddress.of(RUN_DATE, "few")
    short = pa.schema(list(SHARD_OUTCOMES_SCHEMA)[:-2])  # without error_code, error_message
    first = {k: v for k, v in outcome(0, "failure").items() if k in short.names}
    store.put(address.shard_outcome_key("failure", 0), encode_rows([first], short))
    sql = (
        "SELECT shard_id_partition AS s, error_message FROM sweep_shard_outcomes "
        "WHERE run_id_partition = 'few' ORDER BY s"
    )
    with DuckDBQueryEngine(tmp_path) as engine:
        assert engine.execute(sql).to_pylist() == [{"s": "0", "error_message": None}]
        # A later file has the columns the first lacks: they are read, not dropped.
        failed = outcome(1, "failure", error_code="transient", error_message="late")
        store.put(
            address.shard_outcome_key("failure", 1), encode_rows([failed], SHARD_OUTCOMES_SCHEMA)
        )
        assert engine.execute(sql).to_pylist() == [
            {"s": "0", "error_message": None},
            {"s": "1", "error_message": "late"},
        ]
