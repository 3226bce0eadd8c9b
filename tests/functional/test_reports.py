"""``sweep report`` on a local run: the executed notebook and an HTML export without code."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import nbformat
import pytest

from sweeplib.cli import main
from sweeplib.errors import InvalidRequest
from sweeplib.reports import (
    KERNEL_NAME,
    failing_line,
    find_notebook,
    install_kernelspec,
    kernel_manager_class,
    parse_parameter,
    report_stem,
    this_interpreter_kernelspec,
)
from sweeplib.status import run_status
from sweeplib.storage import LocalObjectStore
from tests.factories import BUSY_DIMENSIONS, request_body, runs_on_disk

RUN = "report-run"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("report-data")
    dimensions = {**BUSY_DIMENSIONS, "num_riders": [150]}
    body = request_body(
        RUN, dimensions=dimensions, shard_count=2, seed=5, failure_injection_shards=[1]
    )
    runs_on_disk(data, body)
    return data


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


@pytest.mark.slow
def test_sweep_report_writes_the_notebook_and_html_without_code(data_dir, tmp_path, capsys):
    reports = tmp_path / "reports"
    code = main(["report", RUN, "--data-dir", str(data_dir), "--output-dir", str(reports)])
    assert code == 0, capsys.readouterr().err
    stem = f"run_report_{RUN}_{today()}"
    assert sorted(p.name for p in reports.iterdir()) == [f"{stem}.html", f"{stem}.ipynb"]
    out = capsys.readouterr().out
    assert f"{stem}.ipynb" in out and f"{stem}.html" in out

    executed = nbformat.read(reports / f"{stem}.ipynb", as_version=4)
    injected = next(
        c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert f"run_id = {RUN!r}".replace("'", '"') in injected.source
    assert str(data_dir) in injected.source
    images = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    # coverage, effects, interactions, heatmap, forest, distributions, time series, waits
    assert len(images) == 8

    html = (reports / f"{stem}.html").read_text(encoding="utf-8")
    assert "<img" in html and "<table" in html and "Run report" in html
    # No code: neither cell sources nor input prompts are in the export.
    for code_text in ("open_engine", "timeseries_figure", "In&nbsp;["):
        assert code_text not in html
    assert 'class="jp-InputPrompt' not in html and 'class="jp-CodeMirrorEditor' not in html


def test_the_report_file_name_is_dated_and_deterministic():
    day = dt.date(2026, 2, 14)
    assert report_stem("run_report", "demo-run-001", day) == "run_report_demo-run-001_2026-02-14"
    with pytest.raises(InvalidRequest):
        report_stem("run_report", "../etc", day)


def test_unknown_run_is_a_bad_argument(data_dir, tmp_path, capsys):
    code = main(
        ["report", "no-such-run", "--data-dir", str(data_dir), "--output-dir", str(tmp_path)]
    )
    assert code == 2
    assert "no run 'no-such-run'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--notebook", "nope"], "no notebook 'nope'"),
        (["-p", "nope=1"], "declares no such parameter"),
        (["-p", "novalue"], "expected NAME=VALUE"),
        (["--data-dir", "/nonexistent/folder"], "/nonexistent/folder is not a folder"),
        # relative: to the working directory, and the message says where that is
        (["-p", "data_dir=nowhere"], f"nowhere (= {Path.cwd() / 'nowhere'}) is not a folder"),
        (["--cell-timeout", "0"], "must be > 0"),
    ],
)
def test_bad_arguments_exit_2(data_dir, tmp_path, capsys, arguments, message):
    argv = ["report", RUN, "--data-dir", str(data_dir), "--output-dir", str(tmp_path), *arguments]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_run_id_and_backend_exit_2(capsys):
    assert main(["report", "bad/run"]) == 2
    assert "run_id" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", RUN, "--backend", "bigquery"])
    assert exit_info.value.code == 2


DESIGN_PARAMETERS = [
    "-p", 'dimensions={"num_riders": [60, 80], "num_drivers": [20], "match_radius": [3]}',
    "-p", "shard_size=1", "-p", "calibrate_points=1", "-p", "workers=1", "-p", "execute=true",
]  # fmt: skip


@pytest.mark.slow
def test_the_design_notebook_as_a_report_makes_a_new_run(tmp_path, capsys):
    """A run id that does not exist yet is the design notebook's normal case, and its
    dimensions arrive as JSON through -p."""
    data, reports = tmp_path / "new-data", tmp_path / "reports"  # neither exists yet
    argv = ["report", "nb-new-run", "--notebook", "design_sweep", "--data-dir", str(data),
            "--output-dir", str(reports), *DESIGN_PARAMETERS]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    status = run_status(LocalObjectStore(data), "nb-new-run")
    assert status.finished and status.succeeded_points == 2
    assert (reports / f"design_sweep_nb-new-run_{today()}.html").is_file()


@pytest.mark.slow
def test_bad_json_through_report_parameters_names_the_parameter(tmp_path, capsys):
    argv = ["report", "nb-bad-json", "--notebook", "design_sweep", "--data-dir",
            str(tmp_path / "data"), "--output-dir", str(tmp_path / "reports"),
            "-p", 'dimensions={"num_riders": [60, 80]']  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "raised InvalidRequest: dimensions: is not valid JSON" in err
    assert not (tmp_path / "data").exists()  # nothing ran


@pytest.mark.slow
def test_a_failing_cell_exits_1_and_names_the_cell(data_dir, tmp_path, capsys):
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": KERNEL_NAME, "display_name": "x", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    parameters = nbformat.v4.new_code_cell('run_id = "x"\ndata_dir = "data"')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        parameters,
        nbformat.v4.new_code_cell("total = 1 + 1"),
        nbformat.v4.new_code_cell(
            "# fails on purpose\nraise ValueError(f'broken report for {run_id}')"
        ),
    ]
    source = tmp_path / "broken.ipynb"
    nbformat.write(notebook, source)
    reports = tmp_path / "reports"
    argv = ["report", RUN, "--data-dir", str(data_dir), "--notebook", str(source),
            "--output-dir", str(reports)]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    # Cell 3 of the executed notebook (0: parameters, 1: papermill's injected cell).
    assert f"cell 3 (In [4]) raised ValueError: broken report for {RUN}" in err
    assert "at: raise ValueError(f'broken report for {run_id}')" in err
    stem = f"broken_{RUN}_{today()}"
    assert (reports / f"{stem}.ipynb").is_file()  # kept, with the error in it
    assert not (reports / f"{stem}.html").exists()


def test_failing_line_reads_the_cell_frame_of_the_traceback():
    source = "x = 1\ny = compute(\n    x\n)\n"
    traceback = ["\x1b[0;31mValueError\x1b[0m", "Cell \x1b[0;32mIn[7], line 2\x1b[0m\n---> 2 y"]
    assert failing_line(source, ["Cell In[7], line 2"]) == "y = compute("
    assert failing_line(source, traceback) == "y = compute("  # IPython's colour codes
    assert failing_line(source, []) == "x = 1"
    assert failing_line(source, ["Cell In[7], line 99"]) == "x = 1"


def test_the_kernel_is_this_interpreter():
    spec = this_interpreter_kernelspec()
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    manager = kernel_manager_class()(kernel_name=KERNEL_NAME)
    assert manager.kernel_spec.argv[0] == sys.executable
    assert manager.transport == "ipc"


def test_install_kernelspec_points_jupyterlab_at_this_interpreter(tmp_path):
    folder = Path(install_kernelspec(prefix=str(tmp_path)))
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and "ipykernel_launcher" in spec["argv"]
    assert spec["display_name"] == "Python (sweeplib)"


def test_find_notebook_by_name_or_path(tmp_path):
    assert find_notebook("run_report").name == "run_report.ipynb"
    assert find_notebook("compare_runs.ipynb").name == "compare_runs.ipynb"
    own = tmp_path / "mine.ipynb"
    own.write_text(json.dumps(nbformat.v4.new_notebook()))
    assert find_notebook(str(own)) == own.resolve()
    with pytest.raises(InvalidRequest, match="compare_runs, design_sweep, run_report"):
        find_notebook("missing")


def test_parameters_are_json_when_they_parse():
    assert parse_parameter("confidence=0.9") == ("confidence", 0.9)
    assert parse_parameter("execute=true") == ("execute", True)
    assert parse_parameter("run_a=base-001") == ("run_a", "base-001")
    assert parse_parameter("note=a=b") == ("note", "a=b")
