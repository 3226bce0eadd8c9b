"""Committed notebooks: outputs stripped, exactly one ``parameters`` cell, thin cells."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from sweeplib.reports import KERNEL_NAME, NOTEBOOKS, strip_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_shipped_notebooks_are_the_known_ones():
    assert [p.stem for p in NOTEBOOK_PATHS] == sorted(NOTEBOOKS)


@pytest.fixture(params=NOTEBOOK_PATHS, ids=lambda p: p.stem)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_is_valid_nbformat_4(notebook):
    nbformat.validate(notebook)
    assert notebook.nbformat == 4


def test_outputs_are_stripped(notebook):
    for cell in code_cells(notebook):
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
        assert not {"execution", "papermill", "collapsed", "scrolled"} & set(cell.metadata)
    assert "widgets" not in notebook.metadata
    assert "papermill" not in notebook.metadata


def test_exactly_one_parameters_cell_first_among_code_cells(notebook):
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    (cell,) = tagged
    assert cell.cell_type == "code"
    assert code_cells(notebook)[0] is cell
    # Plain assignments only: papermill replaces them, and nothing runs before them.
    for statement in ast.parse(cell.source).body:
        assert isinstance(statement, ast.Assign), ast.unparse(statement)


def test_cells_stay_thin(notebook):
    """No definitions, loops or branches in notebooks: logic lives in sweeplib."""
    for cell in code_cells(notebook):
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(
                node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While | ast.If | ast.Lambda
            ), cell.source[:60]
        assert len(cell.source.splitlines()) <= 40


def test_kernel_is_the_project_kernel(notebook):
    assert notebook.metadata.kernelspec.name == KERNEL_NAME
    assert notebook.metadata.language_info.name == "python"


def test_committed_notebooks_are_already_stripped(tmp_path):
    for path in NOTEBOOK_PATHS:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        assert strip_notebook(copy) is False, f"{path.name}: run make strip-notebooks"


def test_strip_notebook_removes_outputs_counts_and_widget_state(tmp_path):
    dirty = nbformat.read(NOTEBOOK_PATHS[0], as_version=4)
    dirty.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    dirty.metadata["papermill"] = {"duration": 1.0}
    for count, cell in enumerate(code_cells(dirty), start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
        cell.metadata["execution"] = {"iopub.status.idle": "2026-02-14T10:30:00Z"}
    path = tmp_path / "dirty.ipynb"
    nbformat.write(dirty, path)
    with pytest.raises(AssertionError):
        test_outputs_are_stripped(nbformat.read(path, as_version=4))

    assert strip_notebook(path) is True
    clean = nbformat.read(path, as_version=4)
    test_outputs_are_stripped(clean)
    test_exactly_one_parameters_cell_first_among_code_cells(clean)
    assert [c.metadata for c in clean.cells] == [
        c.metadata for c in nbformat.read(NOTEBOOK_PATHS[0], as_version=4).cells
    ]
    assert strip_notebook(path) is False
