"""Every named query on DuckDB over a real local run, checked against values computed
without SQL (the outcome objects and the stored Parquet tables)."""

from __future__ import annotations

import json
import statistics

import pytest

from sweeplib.errors import InvalidRequest
from sweeplib.query import DuckDBQueryEngine
from sweeplib.query.named import (
    bind_parameters,
    committed_points,
    named_query,
    named_query_names,
    parameters_of,
    run_named,
)
from sweeplib.status import run_status
from sweeplib.storage import decode_table, keys
from tests.factories import two_runs_on_disk

DIMENSIONS = {
    "commission_rate": [0.1, 0.2],
    "match_radius": [3],
    "num_drivers": [10, 16],
    "num_riders": [60, 60],  # a replicated value: two seeds per parameter point
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """run-a (shard 2 fails on purpose) and run-b, on disk."""
    data = tmp_path_factory.mktemp("named")
    store = two_runs_on_disk(data, "run-a", "run-b", dimensions=DIMENSIONS, seed_b=99)
    with DuckDBQueryEngine(data) as engine:
        yield store, engine


def run(engine, name, **params):
    return run_named(engine, name, params).to_pylist()


def committed_metrics(store, run_id):
    """(point_index, selected, metrics) of committed shards, read straight from the files."""
    status = run_status(store, run_id)
    rows = []
    for key in store.list(keys.dataset_prefix("shard_metrics")):
        parsed = keys.parse_key(key)
        if parsed.run_id != run_id or parsed.shard_id not in status.succeeded:
            continue
        metrics = decode_table(store.get(key)).to_pylist()[0]
        parameters_key = keys.RunAddress.of(parsed.run_date, run_id).point_key(
            "effective_parameters", "success", parsed.shard_id, parsed.point_index
        )
        document = json.loads(
            decode_table(store.get(parameters_key)).to_pylist()[0]["effective_parameters_json"]
        )
        rows.append((parsed.point_index, document["selected_dimensions"], metrics))
    return sorted(rows, key=lambda row: row[0])


def test_the_catalogue_of_named_queries():
    assert named_query_names() == [
        "compare_runs",
        "failure_diagnostics",
        "marketplace_timeseries",
        "metric_by_dimension",
        "point_metrics",
        "point_parameters",
        "point_trips_snapshots",
        "run_profile",
        "shard_coverage",
        "wait_time_histogram",
    ]
    assert parameters_of(named_query("compare_runs")) == ["run_a", "run_b", "point_indexes"]
    assert parameters_of(named_query("metric_by_dimension")) == [
        "dimension",
        "metric",
        "run_id",
        "point_indexes",
    ]


def test_run_profile(runs):
    store, engine = runs
    (profile,) = run(engine, "run_profile", run_id="run-a")
    status = run_status(store, "run-a")
    assert profile["shard_attempts"] == 3
    assert profile["successful_shards"] == len(status.succeeded) == 2
    assert profile["failed_shards"] == len(status.failed) == 1
    assert profile["failure_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert profile["successful_points"] == status.succeeded_points == 6
    assert profile["expected_shards"] == 3 and profile["expected_points"] == 8
    assert profile["run_window_seconds"] == 0.0  # one clock for every attempt here


def test_shard_coverage_lists_every_planned_shard(runs):
    _, engine = runs
    rows = run(engine, "shard_coverage", run_id="run-a")
    assert [(r["shard_id"], r["state"]) for r in rows] == [
        (0, "succeeded"),
        (1, "succeeded"),
        (2, "failed"),
    ]
    assert rows[2]["error_code"] == "injected_failure" and rows[0]["error_code"] is None
    assert [(r["start_index"], r["end_index_exclusive"]) for r in rows] == [(0, 3), (3, 6), (6, 8)]


def test_failure_diagnostics(runs):
    _, engine = runs
    assert run(engine, "failure_diagnostics", run_id="run-a") == [
        {
            "error_code": "injected_failure",
            "failed_shards": 1,
            "shard_ids": "2",
            "example_message": "Injected shard failure for verification",
        }
    ]
    assert run(engine, "failure_diagnostics", run_id="run-b") == []


def test_point_metrics_only_count_committed_shards(runs):
    store, engine = runs
    rows = run(engine, "point_metrics", run_id="run-a")
    expected = committed_metrics(store, "run-a")
    assert [r["point_index"] for r in rows] == [index for index, _, _ in expected] == list(range(6))
    for row, (_, selected, metrics) in zip(rows, expected, strict=True):
        assert json.loads(row["selected_dimensions"]) == selected
        assert row["completed_trips"] == metrics["completed_trips"]
        assert row["conversion_rate"] == round(metrics["conversion_rate"], 3)


def test_point_parameters_join_the_run_context(runs):
    store, engine = runs
    rows = run(engine, "point_parameters", run_id="run-b")
    assert len(rows) == 8
    submission = json.loads(store.get(keys.submission_key("run-b")))
    assert {r["request_fingerprint"] for r in rows} == {submission["request_fingerprint"]}
    assert [int(r["seed"]) for r in rows] == [99 ^ i for i in range(8)]
    assert len({r["parameter_fingerprint"] for r in rows}) == 8


def test_point_trips_snapshots_agree_with_the_tables(runs):
    store, engine = runs
    rows = run(engine, "point_trips_snapshots", run_id="run-b")
    assert len(rows) == 8
    for row in rows:
        trips_key = keys.RunAddress.of("2026-02-14", "run-b").point_key(
            "trip_data", "success", row["shard_id"], row["point_index"]
        )
        trips = decode_table(store.get(trips_key)).to_pylist()
        assert row["trips"] == len(trips)
        assert row["trips_completed"] == sum(t["state"] == 2 for t in trips)
        snaps_key = keys.RunAddress.of("2026-02-14", "run-b").point_key(
            "snapshot_counts", "success", row["shard_id"], row["point_index"]
        )
        snapshots = decode_table(store.get(snaps_key)).to_pylist()
        assert row["snapshots"] == len(snapshots)
        assert row["peak_riders_waiting"] == max(s["riders_waiting"] for s in snapshots)


def test_metric_by_dimension(runs):
    store, engine = runs
    rows = run(
        engine,
        "metric_by_dimension",
        run_id="run-b",
        dimension="num_drivers",
        metric="completed_trips",
    )
    by_value: dict[str, list[float]] = {}
    for _, selected, metrics in committed_metrics(store, "run-b"):
        by_value.setdefault(str(selected["num_drivers"]), []).append(metrics["completed_trips"])
    assert [r["dimension_value"] for r in rows] == ["10", "16"]
    for row in rows:
        values = by_value[row["dimension_value"]]
        assert row["points"] == len(values) == 4
        assert row["mean"] == pytest.approx(statistics.fmean(values))
        assert row["stddev"] == pytest.approx(statistics.stdev(values))


def test_compare_runs_pairs_matching_points_with_replications(runs):
    store, engine = runs
    rows = run(engine, "compare_runs", run_a="run-a", run_b="run-b")
    # run-a lost shard 2: points 6 and 7, the two replications of one parameter point
    a = {}
    for _, selected, metrics in committed_metrics(store, "run-a"):
        a.setdefault(json.dumps(selected, sort_keys=True), []).append(metrics["conversion_rate"])
    b = {}
    for _, selected, metrics in committed_metrics(store, "run-b"):
        b.setdefault(json.dumps(selected, sort_keys=True), []).append(metrics["conversion_rate"])
    assert len(rows) == len(set(a) & set(b)) == 3
    for row in rows:
        key = json.dumps(json.loads(row["selected_dimensions"]), sort_keys=True)
        assert (row["n_a"], row["n_b"]) == (len(a[key]), len(b[key]))
        assert row["conversion_rate_delta"] == pytest.approx(
            statistics.fmean(b[key]) - statistics.fmean(a[key])
        )


def test_binding_ignores_comments_and_string_literals():
    sql = "-- isn't :nope here\nSELECT ':kept', :a, :b -- :c's comment\nFROM t WHERE x = :a"
    assert parameters_of(sql) == ["a", "b"]
    bound = bind_parameters(sql, {"a": "it's", "b": 7})
    assert bound == "\nSELECT ':kept', 'it''s', 7 \nFROM t WHERE x = 'it''s'"
    with pytest.raises(InvalidRequest, match="needs this parameter"):
        bind_parameters(sql, {"a": 1})
    with pytest.raises(InvalidRequest, match="no such parameter"):
        bind_parameters(sql, {"a": 1, "b": 2, "c": 3})


def test_every_table_reference_names_its_run_literally():
    """Projected tables (injected run id) need a literal run filter on every reference."""
    import re

    for name in named_query_names():
        sql = named_query(name)
        aliases = re.findall(r"ride_sim_analytics\.sweep_(\w+)\s+(\w+)", sql)
        for table, alias in aliases:
            column = (
                "run_id"
                if table in ("shard_metrics", "trip_data", "snapshot_counts")
                else "run_id_partition"
            )
            qualifier = (
                "" if alias.upper() in ("WHERE", "CROSS", "JOIN", "GROUP") else f"{alias}\\."
            )
            pattern = rf"(?<![.\w]){qualifier}{column} (=|IN) \(?:(run_id|run_a)"
            assert re.search(pattern, sql), (name, table, alias)


def test_committed_points_and_chunked_per_point_queries(runs):
    _, engine = runs
    assert committed_points(engine, ["run-a"]) == [str(i) for i in range(6)]
    whole = run_named(engine, "point_metrics", {"run_id": "run-b"}).to_pylist()
    chunked = run_named(engine, "point_metrics", {"run_id": "run-b"}, chunk=3).to_pylist()
    assert chunked == whole and len(whole) == 8
    bound = bind_parameters("SELECT 1 WHERE p IN :ps", {"ps": ["1", "2"]})
    assert bound == "SELECT 1 WHERE p IN ('1', '2')"
