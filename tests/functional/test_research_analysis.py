"""The research layer over real local runs: tidy points on either path (per-point tables
or the run-level tables), comparisons of configurations that differ, and a sensitivity
analysis whose answer is known in advance."""

from __future__ import annotations

import pandas as pd
import pytest

from sweeplib import analysis, services
from sweeplib.errors import InvalidRequest
from sweeplib.query import DuckDBQueryEngine
from sweeplib.storage import decode_table, keys
from tests.factories import NOW, ignored_factor_saltelli, request_body, runs_on_disk

DIMENSIONS = {"epoch_ms": [36_000_000], "match_radius": [4], "num_drivers": [30, 60]}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """base (commission 0.1) and treat (commission 0.25), 3 replicates on common seeds,
    same sweep seed: the runs differ only in commission_rate."""
    folder = tmp_path_factory.mktemp("research")
    bodies = [
        request_body(
            run_id,
            dimensions={**DIMENSIONS, "commission_rate": [rate]},
            replications=3,
            seeding="common",
            seed=9,
            shard_count=2,
        )
        for run_id, rate in (("base", 0.1), ("treat", 0.25))
    ]
    store = runs_on_disk(folder, *bodies)
    return folder, store


def test_points_are_the_same_from_the_per_point_and_the_run_level_tables(data, tmp_path):
    folder, store = data
    with DuckDBQueryEngine(folder) as engine:
        before = analysis.run_points(engine, "base")
    services.compact(store, "base", now=NOW)
    with DuckDBQueryEngine(folder) as engine:
        after = analysis.run_points(engine, "base")
    pd.testing.assert_frame_equal(before, after)
    assert before.attrs["dimensions"] == (
        "commission_rate",
        "epoch_ms",
        "match_radius",
        "num_drivers",
    )
    assert len(before) == 6 and before["replicate"].tolist() == [0, 1, 2, 0, 1, 2]
    # every metric, unrounded, times in seconds
    assert set(analysis.POINT_METRICS) <= set(before.columns)
    stored = {
        keys.parse_key(key).point_index: decode_table(store.get(key)).to_pylist()[0]
        for key in store.list(keys.dataset_prefix("shard_metrics"))
        if keys.parse_key(key).run_id == "base"
    }
    for row in before.itertuples():
        assert row.platform_revenue == stored[row.point_index]["platform_revenue"]
        assert row.avg_time_to_match_s == stored[row.point_index]["avg_time_to_match_ms"] / 1000


def test_runs_that_differ_in_a_dimension_are_compared_paired(data):
    folder, _ = data
    with DuckDBQueryEngine(folder) as engine:
        result = analysis.compare_configurations(
            engine, "base", "treat", metrics=["platform_revenue", "conversion_rate"]
        )
    assert result.factors == ("run", "commission_rate")
    assert result.match_on == ("num_drivers",)
    assert result.baseline == 'run="base", commission_rate=0.1'
    assert result.treatments == ('run="treat", commission_rate=0.25',)
    table = result.table.set_index("metric")
    # same seeds: the riders and their choices are the same; only the platform's share moves
    assert (table["method"] == "paired").all() and (table["strata"] == 2).all()
    assert table.loc["conversion_rate", "delta"] == 0.0
    revenue = table.loc["platform_revenue"]
    assert revenue["delta"] > 0 and revenue["low"] > 0 and revenue["significant"]
    assert revenue["treatment_mean"] / revenue["baseline_mean"] == pytest.approx(2.5, rel=1e-9)


def test_a_comparison_names_unknown_runs(data):
    folder, _ = data
    with DuckDBQueryEngine(folder) as engine, pytest.raises(InvalidRequest) as error:
        analysis.compare_configurations(engine, "base", "treet")
    assert error.value.field == "run_id" and "'treat'" in error.value.reason


@pytest.mark.slow
def test_sobol_indices_of_a_factor_the_kernel_ignores_are_zero(tmp_path):
    """surge_max_multiplier does nothing with surge disabled: on common random numbers its
    Sobol' indices are 0 exactly, and num_drivers takes the whole variance."""
    runs_on_disk(tmp_path, ignored_factor_saltelli("salt"))
    with DuckDBQueryEngine(tmp_path) as engine:
        points = analysis.run_points(engine, "salt")
    provenance = analysis.run_design("salt", data_dir=tmp_path)
    assert provenance["kind"] == "saltelli"
    result = analysis.sensitivity_report(
        points, provenance, ["completed_trips", "platform_revenue"]
    )
    assert result.notes == ()  # common seeds: nothing to warn about
    for metric in result.metrics:
        table = result.indices(metric).set_index(["method", "index", "factor"])
        for index in ("S1", "ST"):
            assert table.loc[("sobol", index, "surge_max_multiplier"), "value"] == 0.0
        assert table.loc[("sobol", "ST", "num_drivers"), "value"] > 0.5


def test_run_design_refuses_a_grid_and_an_unknown_run(data):
    folder, _ = data
    with pytest.raises(InvalidRequest) as error:
        analysis.run_design("base", data_dir=folder)
    assert error.value.field == "run_id" and "no sampled design" in error.value.reason
    with pytest.raises(InvalidRequest) as error:
        analysis.run_design("nope", data_dir=folder)
    assert error.value.field == "run_id"
    with pytest.raises(InvalidRequest) as error:
        analysis.run_design("base")
    assert error.value.field == "data_dir"


def test_the_run_report_contrasts_within_the_run(data):
    folder, _ = data
    with DuckDBQueryEngine(folder) as engine:
        report = analysis.run_report(engine, "treat")
    within = report.contrasts()  # default: the first value of the first factor
    assert within.baseline == "num_drivers=30" and within.treatments == ("num_drivers=60",)
    assert set(within.table["method"]) == {"paired"}  # common seeds across design points
    assert list(within.table["metric"]) == list(report.effect_metrics)
    chosen = report.contrasts({"num_drivers": 60}, metrics=["completed_trips"])
    assert chosen.treatments == ("num_drivers=30",) and len(chosen.table) == 1
    assert report.design_summary["replicates"].tolist() == [3, 3]


def test_run_design_reads_a_relative_folder_under_the_project_root(data, monkeypatch, tmp_path):
    folder, _ = data
    monkeypatch.setenv("SWEEPLIB_PROJECT_DIR", str(folder.parent))
    monkeypatch.chdir(tmp_path)  # not where the folder is
    with pytest.raises(InvalidRequest) as error:
        analysis.run_design("base", data_dir=folder.name)
    assert "no sampled design" in error.value.reason  # found the run: it is a grid
