"""Two small local runs for the notebooks: committed points with trips, one failure."""

from __future__ import annotations

import nbformat
import pytest

from tests.factories import two_runs_on_disk

RUN_A, RUN_B = "nb-run-a", "nb-run-b"


@pytest.fixture(scope="session")
def local_runs(tmp_path_factory):
    """``RUN_A`` (shard 2 fails on purpose) and ``RUN_B`` (seeds far from A's)."""
    data = tmp_path_factory.mktemp("notebook-data")
    two_runs_on_disk(data, RUN_A, RUN_B)
    return data


def tagged_outputs(path, tag: str) -> list[tuple[int, list]]:
    """(cell index, outputs) of the executed notebook's code cells tagged ``tag``."""
    notebook = nbformat.read(path, as_version=4)
    return [
        (index, cell.outputs)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", [])
    ]


def assert_tables_and_figures(path, *, tables: int, figures: int) -> None:
    """Every ``table`` cell shows a non-empty DataFrame, every ``figure`` cell a PNG, and
    no cell raised."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    shown_tables = tagged_outputs(path, "table")
    assert len(shown_tables) == tables
    for index, outputs in shown_tables:
        results = [o for o in outputs if o.output_type == "execute_result"]
        assert results, f"cell {index} shows no table"
        html = results[0].data["text/html"]
        plain = results[0].data["text/plain"]
        assert "<table" in html and "<tbody>\n    <tr>" in html, f"cell {index}: empty table"
        assert not plain.startswith("Empty DataFrame"), f"cell {index}: {plain}"
    shown_figures = tagged_outputs(path, "figure")
    assert len(shown_figures) == figures
    for index, outputs in shown_figures:
        images = [o.data["image/png"] for o in outputs if "image/png" in o.get("data", {})]
        assert images and len(images[0]) > 2_000, f"cell {index} shows no figure"
