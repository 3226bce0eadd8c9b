"""Two small local runs for the notebooks: committed points with trips, one failure."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest

from sweeplib import services
from sweeplib.contracts import parse_sweep_request
from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.storage import LocalObjectStore

NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)
RUN_A, RUN_B = "nb-run-a", "nb-run-b"


def request_body(run_id: str, seed: int, injected: list[int]) -> dict:
    return {
        "run_id": run_id,
        "dimensions": {
            "epoch_ms": [36_000_000],  # 10:00: busy enough for trips in a small point
            "match_radius": [4],
            "num_drivers": [30, 60],
            "num_riders": [150, 150],  # a repeated value: two seeds per parameter point
        },
        "shard_count": 3,
        "seed": seed,
        "failure_injection_shards": injected,
    }


@pytest.fixture(scope="session")
def local_runs(tmp_path_factory):
    """``RUN_A`` (shard 2 fails on purpose) and ``RUN_B`` (seeds far from A's)."""
    data = tmp_path_factory.mktemp("notebook-data")
    store = LocalObjectStore(data)
    for run_id, seed, injected in ((RUN_A, 1, [2]), (RUN_B, 1_000_003, [])):
        services.submit(
            parse_sweep_request(request_body(run_id, seed, injected)),
            store=store,
            dispatcher=InlineDispatcher(store, clock=lambda: NOW),
            now=NOW,
            request_source="local",
        )
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
