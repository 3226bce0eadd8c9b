"""Each notebook executed by papermill (this interpreter's kernel) against local runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from sweeplib.reports import execute_notebook, find_notebook
from sweeplib.status import run_status
from sweeplib.storage import LocalObjectStore
from tests.notebooks.conftest import RUN_A, RUN_B, assert_tables_and_figures

pytestmark = pytest.mark.slow


def test_run_report_shows_every_table_and_figure(local_runs, tmp_path):
    output = tmp_path / "run_report.ipynb"
    execute_notebook(
        find_notebook("run_report"),
        output,
        {"run_id": RUN_A, "backend": "local", "data_dir": str(local_runs)},
    )
    # tables: profile, coverage, failures, points, design points, activity, wait summary;
    # figures: coverage, effects, interactions, heatmap, forest, distributions, timeseries, waits
    assert_tables_and_figures(output, tables=7, figures=4 + 4)
    text = Path(output).read_text()
    assert "injected_failure" in text  # the failure table names the failed shard's code
    # 4 points in shards [0, 2), [2, 3), [3, 4); shard 2 failed on purpose.
    assert f"**Run `{RUN_A}`**: 3 of 4 point(s) committed" in text
    # the failed shard left the design unbalanced, and the report says so
    assert "Unbalanced" in text and "estimated marginal means" in text


def test_compare_runs_shows_deltas_with_intervals(local_runs, tmp_path):
    output = tmp_path / "compare_runs.ipynb"
    execute_notebook(
        find_notebook("compare_runs"),
        output,
        {"run_a": RUN_A, "run_b": RUN_B, "backend": "local", "data_dir": str(local_runs)},
    )
    assert_tables_and_figures(output, tables=2, figures=1)
    notebook = nbformat.read(output, as_version=4)
    headline = next(
        o.data["text/markdown"]
        for cell in notebook.cells
        for o in cell.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    )
    # The runs differ in seeds only: the arms are the runs, compared within num_drivers
    # (swept in both). num_drivers=60 has one point per run (A's second one failed), so no
    # stratum-level interval exists there and the overall interval is over the two strata
    # as blocks.
    assert f'**Baseline** run="{RUN_A}"; **treatments**: run="{RUN_B}".' in headline
    assert "Compared within equal values of `num_drivers`." in headline
    assert "(blocks)" in headline and "corrected by Holm over 6 comparisons" in headline


def test_design_sweep_runs_the_sweep_locally(tmp_path):
    data = tmp_path / "data"
    output = tmp_path / "design_sweep.ipynb"
    execute_notebook(
        find_notebook("design_sweep"),
        output,
        {
            "run_id": "nb-design",
            "dimensions": {
                "epoch_ms": [36_000_000],
                "match_radius": [3],
                "num_drivers": [20],
                "num_riders": [60, 80],
            },
            "shard_size": 1,
            "backend": "local",
            "data_dir": str(data),
            "workers": 2,
            "calibrate_points": 1,
            "execute": True,
        },
    )
    assert_tables_and_figures(output, tables=4, figures=2)
    status = run_status(LocalObjectStore(data), "nb-design")
    assert status.finished and status.succeeded == (0, 1) and status.succeeded_points == 2


def test_design_sweep_runs_a_sampled_design_with_replications(tmp_path):
    data = tmp_path / "data"
    output = tmp_path / "design_sweep.ipynb"
    execute_notebook(
        find_notebook("design_sweep"),
        output,
        {
            "run_id": "nb-lhs",  # a new run id
            "dimensions": None,
            "design": {
                "kind": "lhs",
                "samples": 3,
                "seed": 7,
                "ranges": {"num_riders": "40:80:int", "commission_rate": "0:0.3"},
                "fixed": {"num_drivers": 20, "match_radius": 3, "epoch_ms": 36_000_000},
            },
            "replications": 2,
            "seeding": "common",
            "shard_size": 2,
            "backend": "local",
            "data_dir": str(data),
            "workers": 2,
            "calibrate_points": 1,
            "execute": True,
        },
    )
    assert_tables_and_figures(output, tables=4, figures=2)
    status = run_status(LocalObjectStore(data), "nb-lhs")
    assert status.finished and status.succeeded_points == 6 and len(status.succeeded) == 3


def test_sensitivity_ranks_the_factors_of_a_saltelli_run(tmp_path):
    from tests.factories import ignored_factor_saltelli, runs_on_disk

    runs_on_disk(tmp_path, ignored_factor_saltelli("nb-salt"))
    output = tmp_path / "sensitivity.ipynb"
    execute_notebook(
        find_notebook("sensitivity"),
        output,
        {
            "run_id": "nb-salt",
            "backend": "local",
            "data_dir": str(tmp_path),
            "metrics": ["completed_trips", "platform_revenue"],
        },
    )
    assert_tables_and_figures(output, tables=2, figures=2)
    text = Path(output).read_text()
    # the kernel ignores surge_max_multiplier with surge off: ranked last, index 0
    assert "`completed_trips` by sobol ST: num_drivers" in text
    assert "surge_max_multiplier 0." in text
