"""The analysis layer over real local runs: the new named queries (marketplace_timeseries,
wait_time_histogram) against answers computed from the Parquet files without SQL, and
run_report / compare_runs / submit_and_watch end to end on DuckDB."""

from __future__ import annotations

import json
import math
import statistics

import pandas as pd
import pytest

from sweeplib import analysis, services
from sweeplib.client import SubmitResult
from sweeplib.contracts import parse_sweep_request
from sweeplib.errors import InvalidRequest
from sweeplib.query import DuckDBQueryEngine
from sweeplib.query.named import committed_points, named_query, parameters_of
from sweeplib.status import run_status
from sweeplib.storage import LocalObjectStore, decode_table, keys
from tests.factories import BUSY_DIMENSIONS, NOW, request_body, submit_inline, two_runs_on_disk


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """an-a (shard 2 fails on purpose) and an-b, on disk."""
    data = tmp_path_factory.mktemp("analysis")
    store = two_runs_on_disk(data, "an-a", "an-b")
    with DuckDBQueryEngine(data) as engine:
        yield store, engine


def committed_tables(store, run_id, dataset):
    """{point_index: pyarrow.Table} of ``dataset`` for the committed points of a run."""
    succeeded = set(run_status(store, run_id).succeeded)
    tables = {}
    for key in store.list(keys.dataset_prefix(dataset)):
        parsed = keys.parse_key(key)
        if parsed.run_id == run_id and parsed.shard_id in succeeded:
            tables[parsed.point_index] = decode_table(store.get(key))
    return dict(sorted(tables.items()))


def test_new_queries_take_the_run_and_its_points():
    for name in ("marketplace_timeseries", "wait_time_histogram"):
        assert sorted(parameters_of(named_query(name))) == [
            "bucket_seconds",
            "point_indexes",
            "run_id",
        ]


def test_marketplace_timeseries_by_hand(runs):
    store, engine = runs
    points = committed_points(engine, ["an-a"])
    assert points == ["0", "1", "2"]  # shard 2 (point 3) failed on purpose
    got = analysis.point_frame(
        engine, "marketplace_timeseries", points, run_id="an-a", bucket_seconds=600
    )
    per_point = []
    for point, table in committed_tables(store, "an-a", "snapshot_counts").items():
        frame = table.to_pandas()
        frame["time_s"] = (frame["timestamp_ms"] // 600_000) * 600
        means = frame.drop(columns="timestamp_ms").groupby("time_s").mean()
        per_point.append(means.assign(point=point))
    expected = pd.concat(per_point).groupby("time_s")
    want = expected.mean().drop(columns="point")
    assert got["time_s"].tolist() == want.index.tolist()
    assert got["points"].tolist() == expected.size().tolist()
    for column in want.columns:
        assert got[column].tolist() == pytest.approx(want[column].tolist()), column
    assert got["riders_waiting"].max() > 0 and got["trips_completed"].max() > 0


def test_wait_time_histogram_by_hand(runs):
    store, engine = runs
    got = analysis.point_frame(
        engine,
        "wait_time_histogram",
        committed_points(engine, ["an-b"]),
        run_id="an-b",
        bucket_seconds=30,
    )
    trips = pd.concat(t.to_pandas() for t in committed_tables(store, "an-b", "trip_data").values())
    match = (trips["matched_at"].astype("int64") - trips["requested_at"].astype("int64")) / 1000
    picked = trips.dropna(subset=["pickup_at"])
    pickup = (picked["pickup_at"].astype("int64") - picked["matched_at"].astype("int64")) / 1000
    expected = []
    for wait, seconds in (("time_to_match", match), ("time_to_pickup", pickup)):
        counts = (seconds // 30).astype("int64").value_counts().sort_index()
        for bucket, count in counts.items():
            expected.append((wait, bucket * 30, bucket * 30 + 30, count, count / len(seconds)))
    assert len(trips) > 5 and len(picked) > 0
    rows = [tuple(r) for r in got.itertuples(index=False)]
    assert [r[:4] for r in rows] == [e[:4] for e in expected]
    assert [r[4] for r in rows] == pytest.approx([e[4] for e in expected])


@pytest.mark.parametrize(
    ("name", "merge"),
    [
        ("marketplace_timeseries", analysis.merge_timeseries),
        ("wait_time_histogram", analysis.merge_wait_histograms),
    ],
)
def test_chunks_merge_to_the_whole(runs, name, merge):
    _, engine = runs
    points = committed_points(engine, ["an-b"])
    whole = analysis.point_frame(engine, name, points, run_id="an-b", bucket_seconds=120)
    chunked = analysis.point_frame(
        engine, name, points, merge=merge, chunk=1, run_id="an-b", bucket_seconds=120
    )
    pd.testing.assert_frame_equal(chunked, whole, check_dtype=False, check_exact=False)


def test_a_chunkable_query_is_concatenated_and_others_run_whole(runs):
    _, engine = runs
    points = committed_points(engine, ["an-b"])
    whole = analysis.point_frame(engine, "point_metrics", points, run_id="an-b")
    chunked = analysis.point_frame(engine, "point_metrics", points, chunk=3, run_id="an-b")
    pd.testing.assert_frame_equal(chunked, whole)
    none = analysis.point_frame(engine, "point_metrics", [], run_id="an-b")
    assert none.empty and list(none.columns) == list(whole.columns)


def test_run_report_agrees_with_the_files(runs):
    store, engine = runs
    report = analysis.run_report(engine, "an-a", metrics=["conversion_rate", "completed_trips"])
    status = run_status(store, "an-a")
    assert report.summary["successful_points"] == status.succeeded_points == 3
    assert report.coverage["state"].tolist() == ["succeeded", "succeeded", "failed"]
    assert report.failures["error_code"].tolist() == ["injected_failure"]
    assert report.points["point_index"].tolist() == [0, 1, 2]
    assert report.dimensions == ("epoch_ms", "match_radius", "num_drivers", "num_riders")
    assert report.swept == ("num_drivers",)  # num_riders repeats one value
    assert report.points["num_drivers"].tolist() == [30, 30, 60]

    metrics = {
        point: table.to_pylist()[0]
        for point, table in committed_tables(store, "an-a", "shard_metrics").items()
    }
    by_dimension = report.by_dimension.set_index(["dimension", "metric", "dimension_value"])
    for metric in ("conversion_rate", "completed_trips"):
        thirty = [metrics[0][metric], metrics[1][metric]]
        row = by_dimension.loc[("num_drivers", metric, "30")]
        assert row["points"] == 2
        assert row["mean"] == pytest.approx(statistics.fmean(thirty))
        assert row["stddev"] == pytest.approx(statistics.stdev(thirty))
        assert by_dimension.loc[("num_drivers", metric, "60"), "mean"] == pytest.approx(
            metrics[2][metric]
        )

    trips = committed_tables(store, "an-a", "trip_data")
    assert report.activity["trips"].tolist() == [trips[p].num_rows for p in (0, 1, 2)]
    assert report.activity["num_drivers"].tolist() == [30, 30, 60]
    assert report.wait_times.groupby("wait")["trips"].sum()["time_to_match"] == sum(
        t.num_rows for t in trips.values()
    )
    assert report.timeseries["points"].max() == 3

    headline = report.headline()
    assert "3 of 4 point(s) committed; 2 of 3 shard(s) succeeded, 1 failed, 0 missing" in headline
    assert "Swept dimensions: `num_drivers`" in headline
    assert "`match_radius` = 4" in headline and "injected_failure (1)" in headline


def test_run_report_refuses_unknown_runs_and_metrics(runs):
    _, engine = runs
    with pytest.raises(InvalidRequest, match="no run 'never-ran'") as caught:
        analysis.run_report(engine, "never-ran")  # loud, exit 2 in the CLI (ADR 0017)
    assert caught.value.field == "run_id"
    with pytest.raises(InvalidRequest, match="unknown metric 'fun'"):
        analysis.run_report(engine, "an-a", metrics=["fun"])
    with pytest.raises(InvalidRequest, match="wait_bucket_s"):
        analysis.run_report(engine, "an-a", wait_bucket_s=0)


def test_compare_runs_by_hand(runs):
    store, engine = runs

    def conversion_by_point(run_id):
        parameters = committed_tables(store, run_id, "effective_parameters")
        metrics = committed_tables(store, run_id, "shard_metrics")
        grouped: dict[int, list[float]] = {}
        for point, table in metrics.items():
            document = json.loads(parameters[point].to_pylist()[0]["effective_parameters_json"])
            drivers = document["selected_dimensions"]["num_drivers"]
            grouped.setdefault(drivers, []).append(table.to_pylist()[0]["conversion_rate"])
        return grouped

    a, b = conversion_by_point("an-a"), conversion_by_point("an-b")
    comparison = analysis.compare_runs(engine, "an-a", "an-b", confidence=0.9)
    rows = comparison.points.set_index("num_drivers")
    assert rows["n_a"].to_dict() == {30: 2, 60: 1} and rows["n_b"].to_dict() == {30: 2, 60: 2}
    expected = analysis.mean_difference(
        statistics.fmean(a[30]),
        statistics.stdev(a[30]),
        2,
        statistics.fmean(b[30]),
        statistics.stdev(b[30]),
        2,
        confidence=0.9,
    )
    assert rows.loc[30, "conversion_rate_delta"] == pytest.approx(expected.delta)
    assert rows.loc[30, "conversion_rate_low"] == pytest.approx(expected.low)
    assert rows.loc[30, "conversion_rate_high"] == pytest.approx(expected.high)
    assert math.isnan(rows.loc[60, "conversion_rate_low"])  # one replication in run a
    assert comparison.interval_metrics == ("conversion_rate", "platform_revenue")
    summary = comparison.summary().set_index("metric")
    assert summary.loc["conversion_rate", "points"] == 2
    assert summary.loc["conversion_rate", "with_interval"] == 1
    assert summary.loc["completed_trips", "with_interval"] == 0
    assert "2 parameter point(s) in both runs; 1 replicated in both" in comparison.headline()
    with pytest.raises(InvalidRequest, match="two different runs"):
        analysis.compare_runs(engine, "an-a", "an-a")


def test_compare_runs_refuses_a_run_the_tables_do_not_know(runs):
    _, engine = runs
    with pytest.raises(InvalidRequest, match="no run 'never-ran'") as caught:
        analysis.compare_runs(engine, "an-a", "never-ran")  # not an empty comparison
    assert caught.value.field == "run_b"


class FakeClient:
    """Accepts like the API and runs the shards inline into a local store."""

    def __init__(self, store):
        self.store = store
        self.bodies = []

    def submit(self, request_body):
        self.bodies.append(request_body)
        acceptance = submit_inline(self.store, request_body, request_source="api")
        response = acceptance.response_body()
        return SubmitResult(202, response, replayed=not acceptance.first_acceptance)


def test_submit_and_watch_follows_the_run_to_completion(tmp_path, capsys):
    store = LocalObjectStore(tmp_path)
    client = FakeClient(store)
    request = analysis.build_request(
        "watched",
        {"num_riders": [20, 30], "num_drivers": [5], "match_radius": [2]},
        shard_count=2,
        failure_injection_shards=[1],
    )
    execution = analysis.submit_and_watch(request, client=client, store=store, poll_s=0.01)
    assert client.bodies == [request.to_json_dict()]
    assert execution.backend == "lambda"
    assert execution.message == "run watched accepted: 2 point(s), 2 shard(s) enqueued"
    assert execution.status.finished
    assert execution.status.succeeded == (0,) and [f.shard_id for f in execution.status.failed] == [
        1
    ]
    assert "2/2" in capsys.readouterr().err  # the shared shard bar (sweeplib.progress)
    frame = execution.status_frame().set_index("state")
    assert frame["shards"].to_dict() == {"planned": 2, "succeeded": 1, "failed": 1, "missing": 0}
    assert frame.loc["failed", "detail"] == "1: injected_failure"

    again = analysis.submit_and_watch(request, client=client, progress=False)
    assert again.status is None and "replay" in again.message and "no bucket" in again.message


class NothingRuns:
    """A dispatcher that accepts shards and never runs them (they stay missing)."""

    def dispatch(self, messages):
        from sweeplib.dispatch import DispatchRecord, DispatchReport

        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200, "queued") for m in messages))


def test_a_run_with_nothing_committed_yet_reports_every_shard_missing(tmp_path):
    from sweeplib import plots

    store = LocalObjectStore(tmp_path)
    services.submit(
        parse_sweep_request(request_body("pending", dimensions=dict(BUSY_DIMENSIONS), seed=3)),
        store=store,
        dispatcher=NothingRuns(),
        now=NOW,
        request_source="local",
    )
    with DuckDBQueryEngine(tmp_path) as engine:
        report = analysis.run_report(engine, "pending")
    assert report.coverage["state"].tolist() == ["missing"] * 3
    assert report.points.empty and report.by_dimension.empty and report.timeseries.empty
    assert report.swept == () and report.dimensions == ()
    assert "0 of 4 point(s) committed; 0 of 3 shard(s) succeeded, 0 failed, 3 missing" in (
        report.headline()
    )
    for figure in plots.report_figures(report).values():
        assert figure.axes
