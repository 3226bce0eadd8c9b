"""The notebooks as papermill runs them from a shell: started in the project root or in a
subfolder, with the notebooks' own ``data_dir`` default, dict parameters as JSON text
(what ``papermill -p`` passes), a new run id, and a progress widget that ends at the
point count."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from sweeplib.analysis import PROJECT_DIR_ENV
from sweeplib.reports import KERNEL_NAME as SWEEPLIB_KERNEL
from sweeplib.reports import find_notebook, kernel_manager_class
from sweeplib.status import run_status
from sweeplib.storage import LocalObjectStore
from tests.notebooks.conftest import RUN_A

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A researcher's project: ``pyproject.toml``, the shipped notebooks in ``notebooks/``."""
    monkeypatch.delenv(PROJECT_DIR_ENV, raising=False)  # the kernel inherits the environment
    root = tmp_path / "study"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'study'\n")
    for name in ("design_sweep", "run_report"):
        shutil.copy(find_notebook(name), root / "notebooks")
    return root


def papermill_run(notebook: Path, output: Path, parameters: dict, *, cwd: Path) -> None:
    """``papermill NOTEBOOK OUTPUT -p …`` started in ``cwd`` (this interpreter's kernel)."""
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        kernel_name=SWEEPLIB_KERNEL,
        kernel_manager_class=kernel_manager_class(),
        language="python",
        progress_bar=False,
        cwd=str(cwd),
    )


def errors(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [
        f"{o.ename}: {o.evalue}"
        for cell in notebook.cells
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]


def test_design_sweep_from_the_project_root_with_json_text_and_a_new_run_id(project, tmp_path):
    output = tmp_path / "design.ipynb"
    papermill_run(
        project / "notebooks" / "design_sweep.ipynb",
        output,
        {
            "run_id": "nb-anywhere",  # never accepted before
            # -p passes text: papermill -p dimensions '{"num_riders": [60, 80], …}'
            "dimensions": '{"num_riders": [60, 80], "num_drivers": [20], "match_radius": [3],'
            ' "epoch_ms": [36000000]}',
            "failure_injection_shards": "[]",
            "shard_size": 1,
            "workers": 2,
            "calibrate_points": 1,
            "execute": True,
        },
        cwd=project,  # the shell is in the project root; data_dir keeps its default
    )
    assert errors(output) == []
    status = run_status(LocalObjectStore(project / "data"), "nb-anywhere")
    assert status.finished and status.succeeded_points == 2
    assert f"data in {project / 'data'}" in output.read_text()

    # tqdm.auto: a widget in a kernel, which ends at exactly the point count
    notebook = nbformat.read(output, as_version=4)
    views = [
        o
        for cell in notebook.cells
        for o in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 1 and "points:" in views[0].data["text/plain"]
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    bars = [m["state"] for m in state.values() if m["model_name"] == "FloatProgressModel"]
    assert [(b["value"], b["max"], b["bar_style"]) for b in bars] == [(2.0, 2.0, "success")]
    texts = " ".join(str(m["state"].get("value", "")) for m in state.values())
    assert "2/2" in texts and "shards\u20072/2" in texts


def test_run_report_from_the_notebooks_folder_reads_the_projects_data(
    project, local_runs, tmp_path
):
    (project / "data").symlink_to(local_runs, target_is_directory=True)
    output = tmp_path / "report.ipynb"
    # where JupyterLab runs a notebook: its own folder
    papermill_run(
        project / "notebooks" / "run_report.ipynb",
        output,
        {"run_id": RUN_A},
        cwd=project / "notebooks",
    )
    assert errors(output) == []
    assert f"Run `{RUN_A}`" in output.read_text()


def test_a_missing_data_folder_names_where_it_was_looked_for(project, tmp_path):
    with pytest.raises(PapermillExecutionError) as caught:
        papermill_run(
            project / "notebooks" / "run_report.ipynb",
            tmp_path / "report.ipynb",
            {"run_id": RUN_A},
            cwd=project / "notebooks",
        )
    assert caught.value.ename == "InvalidRequest"
    assert (
        f"data_dir: 'data' resolved to {project / 'data'}, which is not a folder "
        f"(relative to the project root {project};"
    ) in caught.value.evalue
