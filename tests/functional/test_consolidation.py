"""Run-level tables (DESIGN §3.7, ADR 0016): consolidation of a real local run with DuckDB,
files with and without the appended design columns, staleness, atomicity, export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sweeplib import consolidation, services
from sweeplib.cli import main as sweep
from sweeplib.consolidation import consolidate_local, read_consolidation
from sweeplib.contracts import parse_sweep_request
from sweeplib.errors import InvalidRequest, QueryError
from sweeplib.planning import point_seed
from sweeplib.query import DuckDBQueryEngine
from sweeplib.query.named import current_generations, run_named
from sweeplib.storage import LocalObjectStore, keys
from sweeplib.storage.parquet import decode_table
from sweeplib.storage.schemas import (
    DESIGN_COLUMNS,
    METRIC_FIELDS,
    PROVENANCE_COLUMNS,
    RUN_POINTS_SCHEMA,
)
from tests.factories import BUSY_DIMENSIONS, request_body

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A real 4-point run (3 shards; shard 1 fails by injection), consolidated by the run."""
    data = tmp_path_factory.mktemp("consolidation") / "data"
    body = request_body("cons-run", dimensions=dict(BUSY_DIMENSIONS), failure_injection_shards=[1])
    local = services.run_local(parse_sweep_request(body), data_dir=data, progress=False, workers=1)
    return data, local


def _address(store: LocalObjectStore, run_id: str) -> keys.RunAddress:
    record = next(store.list(keys.dataset_prefix("run_context")))
    return keys.RunAddress.of(keys.parse_key(record).run_date, run_id)


def _copy_run(run, tmp_path: Path) -> Path:
    import shutil

    data, _ = run
    target = tmp_path / "data"
    shutil.copytree(data, target)
    return target


def _metrics(store: LocalObjectStore, address: keys.RunAddress) -> dict[int, dict]:
    rows = {}
    for key in store.list(address.dataset_prefix("shard_metrics", status="success")):
        rows[keys.parse_key(key).point_index] = decode_table(store.get(key)).to_pylist()[0]
    return rows


def test_the_run_consolidates_its_committed_shards_into_a_tidy_points_table(run):
    data, local = run
    record = local.consolidation
    assert record is not None and record.changed
    assert record.shard_ids == (0, 2)  # shard 1 failed: not committed, not consolidated
    assert "consolidated 2 committed shard(s) into generation 0" in local.describe()
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    table = pq.read_table(store.path(address.run_table_key("run_points", 0)))
    assert table.schema.names == RUN_POINTS_SCHEMA.names
    for field in RUN_POINTS_SCHEMA:
        assert table.schema.field(field.name).type == field.type, field.name
    metrics = _metrics(store, address)
    context = decode_table(store.get(address.run_context_key())).to_pylist()[0]
    provenance = {n: context[n] for n in PROVENANCE_COLUMNS}
    assert provenance["sweeplib_version"] and len(provenance["kernel_hash"]) >= 16
    rows = table.to_pylist()
    committed = [0, 1, 3]  # shard sizes 2, 1, 1: shard 1 holds point 2
    assert [row["point_index"] for row in rows] == committed == sorted(metrics)
    assert record.dimensions == ("epoch_ms", "match_radius", "num_drivers", "num_riders")
    for row in rows:
        index = row["point_index"]
        for field in METRIC_FIELDS:  # every metric, unrounded
            assert row[field.name] == metrics[index][field.name], (index, field.name)
        assert (row["design_point"], row["replicate"]) == (index, 0)  # one replicate each
        assert row["seed"] == point_seed(11, index) == metrics[index]["point_seed"]
        selected = json.loads(row["selected_dimensions"])
        assert {n: row[n] for n in record.dimensions} == selected  # typed, equal values
        assert isinstance(row["num_riders"], int) and isinstance(row["epoch_ms"], int)
        assert row["base_fare"] is None and row["surge_enabled"] is None  # not in this run
        assert row["status"] == "success" and row["run_id"] == "cons-run"
        assert {n: row[n] for n in PROVENANCE_COLUMNS} == provenance  # the run_context's
    trips = pq.read_table(store.path(address.run_table_key("run_trips", 0)))
    snapshots = pq.read_table(store.path(address.run_table_key("run_snapshots", 0)))
    assert (trips.num_rows, snapshots.num_rows) == (record.trips, record.snapshots)
    assert set(snapshots.column("point_index").to_pylist()) == set(committed)
    stored = read_consolidation(store, address)
    assert stored is not None and stored.shard_ids == record.shard_ids
    assert (stored.points, stored.trips, stored.generation) == (3, record.trips, 0)
    assert record.trips > 0 and record.snapshots > 0


def test_named_queries_answer_the_same_from_the_run_tables_and_the_per_point_tables(run, tmp_path):
    data = _copy_run(run, tmp_path)
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    with DuckDBQueryEngine(data) as engine:
        assert current_generations(engine, "cons-run") == ["0"]
        cases = [
            ("point_metrics", {}),
            ("metric_by_dimension", {"dimension": "num_drivers", "metric": "completed_trips"}),
            ("point_trips_snapshots", {}),
            ("marketplace_timeseries", {"bucket_seconds": 600}),
            ("wait_time_histogram", {"bucket_seconds": 60}),
            ("point_parameters", {}),
        ]
        consolidated = {n: run_named(engine, n, {"run_id": "cons-run", **v}) for n, v in cases}
        both = {"run_a": "cons-run", "run_b": "cons-run"}
        compared = run_named(engine, "compare_runs", both)
        # without the record, the same queries scan the per-point tables (once)
        store.path(address.consolidation_key()).unlink()
        assert current_generations(engine, "cons-run") is None
        scanned_comparison = run_named(engine, "compare_runs", both)
        assert compared.num_rows == scanned_comparison.num_rows == 2  # two parameter points
        assert compared.column("n_a").to_pylist() == scanned_comparison.column("n_a").to_pylist()
        assert compared.column("conversion_rate_a").to_pylist() == pytest.approx(
            scanned_comparison.column("conversion_rate_a").to_pylist()
        )
        for name, values in cases:
            scanned = run_named(engine, name, {"run_id": "cons-run", **values})
            assert scanned.num_rows == consolidated[name].num_rows > 0, name
            assert scanned.column_names == consolidated[name].column_names, name
            for column in scanned.column_names:
                left, right = (
                    scanned.column(column).to_pylist(),
                    consolidated[name].column(column).to_pylist(),
                )
                if column in ("mean", "stddev", "share") or pa.types.is_floating(
                    scanned.schema.field(column).type
                ):
                    assert right == pytest.approx(left, nan_ok=True), (name, column)
                else:
                    assert right == left, (name, column)


def _drop_design_columns(path: Path) -> None:
    """The file as written before the design columns were appended (ADR 0015)."""
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(list(DESIGN_COLUMNS)), path)


def _set_design_columns(path: Path, design_point: int, replicate: int, seed: int) -> None:
    table = pq.read_table(path).drop_columns(list(DESIGN_COLUMNS))
    for name, value in (("design_point", design_point), ("replicate", replicate)):
        table = table.append_column(name, pa.array([value], pa.uint64()))
    table = table.append_column("point_seed", pa.array([seed], pa.uint64()))
    pq.write_table(table, path)


@pytest.mark.parametrize("every_file", [True, False], ids=["all-files", "some-files"])
def test_design_columns_are_read_when_the_files_have_them(run, tmp_path, every_file):
    """Files with the design columns are read as they say; files without (older runs) fall
    back to the point index, replicate 0 and the effective parameters' seed."""
    data = _copy_run(run, tmp_path)
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    changed = {}
    for dataset in ("shard_metrics", "effective_parameters"):
        for key in sorted(store.list(address.dataset_prefix(dataset, status="success"))):
            index = keys.parse_key(key).point_index
            if not every_file and index != 3:
                _drop_design_columns(store.path(key))
                continue
            _set_design_columns(store.path(key), index // 2, index % 2, 10_000 + index)
            changed[index] = (index // 2, index % 2, 10_000 + index)
    record = consolidate_local(store, "cons-run", now=NOW, force=True)
    assert record.generation == 1
    rows = pq.read_table(store.path(address.run_table_key("run_points", 1))).to_pylist()
    for row in rows:
        index = row["point_index"]
        expected = changed.get(index, (index, 0, point_seed(11, index)))
        assert (row["design_point"], row["replicate"], row["seed"]) == expected, index


def test_more_committed_shards_make_the_tables_stale_until_consolidated_again(run, tmp_path):
    data = _copy_run(run, tmp_path)
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    marker = store.path(address.shard_outcome_key("success", 2))
    saved = marker.read_bytes()
    marker.unlink()  # as if shard 2 had not committed yet
    first = consolidate_local(store, "cons-run", now=NOW, force=True)
    assert first.shard_ids == (0,) and first.generation == 1
    marker.write_bytes(saved)  # shard 2 commits
    with DuckDBQueryEngine(data) as engine:
        assert current_generations(engine, "cons-run") is None  # stale: per-point scan
        rows = run_named(engine, "point_metrics", {"run_id": "cons-run"})
        assert rows.column("point_index").to_pylist() == [0, 1, 3]
    again = consolidate_local(store, "cons-run", now=NOW)
    assert again.changed and again.shard_ids == (0, 2) and again.generation == 2
    assert consolidate_local(store, "cons-run", now=NOW).changed is False  # idempotent
    folders = {
        p.name for p in store.path(address.run_table_key("run_points", 2)).parent.parent.iterdir()
    }
    assert folders == {"generation=1", "generation=2"}  # older than the previous: removed


def test_a_failed_consolidation_leaves_the_previous_generation_current(run, tmp_path, monkeypatch):
    data = _copy_run(run, tmp_path)
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    before = store.get(address.consolidation_key())
    real = consolidation._copy
    calls = []

    def failing(engine, select, final):
        calls.append(final)
        if "run_points" in str(final):
            raise QueryError("disk full")
        return real(engine, select, final)

    monkeypatch.setattr(consolidation, "_copy", failing)
    with pytest.raises(QueryError, match="disk full"):
        consolidate_local(store, "cons-run", now=NOW, force=True)
    assert len(calls) == 3
    assert store.get(address.consolidation_key()) == before  # readers still see generation 0
    with DuckDBQueryEngine(data) as engine:
        assert current_generations(engine, "cons-run") == ["0"]
        assert run_named(engine, "point_metrics", {"run_id": "cons-run"}).num_rows == 3
    assert not [p for p in data.rglob("*") if ".tmp-" in p.name]


def test_compact_and_export_on_the_command_line(run, tmp_path, capsys):
    data = _copy_run(run, tmp_path)
    assert sweep(["compact", "cons-run", "--data-dir", str(data)]) == 0
    assert "already consolidated 2 committed shard(s)" in capsys.readouterr().out
    assert sweep(["compact", "cons-rn", "--data-dir", str(data)]) == 2
    assert "no run 'cons-rn'" in capsys.readouterr().err
    assert sweep(["compact", "cons-run", "--data-dir", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    out = tmp_path / "points.csv"
    assert sweep(["export", "cons-run", "-o", str(out), "--data-dir", str(data)]) == 0
    table = pacsv.read_csv(out)
    assert table.column("point_index").to_pylist() == [0, 1, 3]
    assert "num_riders" in table.column_names and "base_fare" not in table.column_names
    parquet = tmp_path / "points.parquet"
    assert sweep(["export", "cons-run", "-o", str(parquet), "--data-dir", str(data)]) == 0
    exported = pq.read_table(parquet)
    metrics = _metrics(LocalObjectStore(data), _address(LocalObjectStore(data), "cons-run"))
    assert exported.column("conversion_rate").to_pylist() == [
        metrics[i]["conversion_rate"] for i in (0, 1, 3)
    ]  # unrounded
    assert sweep(["export", "cons-run", "-o", str(tmp_path / "x.xlsx"), "--data-dir", str(data)])
    assert "invalid --format" in capsys.readouterr().err


def test_named_query_parameters_are_checked_loudly(run):
    data, _ = run
    with DuckDBQueryEngine(data) as engine:
        with pytest.raises(InvalidRequest, match="did you mean 'cons-run'") as caught:
            run_named(engine, "point_metrics", {"run_id": "cons-rnu"})
        assert caught.value.field == "run_id"
        values = {"run_id": "cons-run", "dimension": "num_drivers", "metric": "conversion"}
        with pytest.raises(InvalidRequest, match="did you mean 'conversion_rate'"):
            run_named(engine, "metric_by_dimension", values)
        values.update(metric="conversion_rate", dimension="num_rider")
        with pytest.raises(InvalidRequest, match="unknown dimension 'num_rider'"):
            run_named(engine, "metric_by_dimension", values)
        values.update(dimension="base_fare")  # accepted, but not one of this run's
        with pytest.raises(InvalidRequest, match="does not set 'base_fare'"):
            run_named(engine, "metric_by_dimension", values)


def test_the_points_table_as_a_dataframe(run, tmp_path):
    from sweeplib import analysis

    data = _copy_run(run, tmp_path)
    frame = analysis.points_frame("cons-run", data_dir=data)
    assert frame["point_index"].tolist() == [0, 1, 3]
    assert {"num_drivers", "num_riders", "epoch_ms", "match_radius"} <= set(frame.columns)
    assert "base_fare" not in frame.columns and frame["replicate"].tolist() == [0, 0, 0]
    with pytest.raises(InvalidRequest, match="no run 'x'"):
        analysis.points_frame("x", data_dir=data)
    with pytest.raises(InvalidRequest, match="not a folder"):
        analysis.points_frame("cons-run", data_dir=tmp_path / "missing")


def test_an_open_engine_sees_a_new_generation_and_a_new_commit(run, tmp_path):
    # The engine copies a run's small records into memory; replacing them must show.
    data = _copy_run(run, tmp_path)
    store = LocalObjectStore(data)
    address = _address(store, "cons-run")
    marker = store.path(address.shard_outcome_key("success", 2))
    saved = marker.read_bytes()
    with DuckDBQueryEngine(data) as engine:
        assert current_generations(engine, "cons-run") == ["0"]
        consolidate_local(store, "cons-run", now=NOW, force=True)
        assert current_generations(engine, "cons-run") == ["1"]  # the record was replaced
        marker.unlink()
        assert current_generations(engine, "cons-run") is None  # shard set changed: stale
        marker.write_bytes(saved)
        assert current_generations(engine, "cons-run") == ["1"]
