"""A run's points as one tidy DataFrame, on either engine: what the statistics work on.

One row per committed point — ``point_index``, ``design_point``, ``replicate``, ``seed``,
one typed column per dimension the run sets, and **every** ``shard_metrics`` metric,
unrounded. Times are in **seconds** (``avg_time_to_match_s`` …, the stored ``*_ms``
columns divided by 1000): one unit for times everywhere in the analysis; round only for
display.

The rows come from the run's ``run_points`` table when it is current (ADR 0016: one
scan of a few large files), else from the per-point tables through the same SELECT the
Athena consolidation unloads (one scan, in chunks only on engines whose query text is
limited).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.analysis._inputs import json_list
from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest
from sweeplib.query import QueryEngine
from sweeplib.query.consolidate import DESIGN_COLUMNS, athena_points_select
from sweeplib.query.named import (
    POINT_CHUNK,
    bind_parameters,
    check_parameters,
    current_generations,
    named_query,
)
from sweeplib.storage.schemas import METRIC_FIELDS, RUN_POINTS_SCHEMA

__all__ = [
    "IDENTITY_COLUMNS",
    "POINT_METRICS",
    "metric_column",
    "run_points",
    "tidy_points",
]

#: The identity columns of a tidy points frame, in front of its dimensions.
IDENTITY_COLUMNS: Final = ("run_id", "shard_id", "point_index", "design_point", "replicate", "seed")


def metric_column(name: str) -> str:
    """The analysis name of a stored metric: ``*_ms`` becomes ``*_s`` (seconds)."""
    return name.removesuffix("_ms") + "_s" if name.endswith("_ms") else name


#: Every metric of a tidy points frame, in the stored order (times in seconds).
POINT_METRICS: Final = tuple(metric_column(field.name) for field in METRIC_FIELDS)

_RUN_POINTS_SQL: Final = (
    "SELECT "
    + ", ".join(RUN_POINTS_SCHEMA.names)
    + " FROM ride_sim_analytics.sweep_run_points"
    + " WHERE run_id_partition = :run_id AND generation IN :generations"
)


def _committed_ranges(engine: QueryEngine, run_id: str) -> list[tuple[int, int, int]]:
    sql = bind_parameters(named_query("shard_coverage"), {"run_id": run_id})
    return [
        (int(row["shard_id"]), int(row["start_index"]), int(row["end_index_exclusive"]))
        for row in engine.execute(sql).to_pylist()
        if row["state"] == "succeeded"
    ]


def _per_point_frames(engine: QueryEngine, run_id: str) -> list[pd.DataFrame]:
    ranges = _committed_ranges(engine, run_id)
    owner = {p: shard for shard, start, end in ranges for p in range(start, end)}
    chunk = getattr(engine, "point_chunk", POINT_CHUNK) or max(len(owner), 1)
    points = sorted(owner)
    frames = []
    for start in range(0, len(points), chunk):
        part = points[start : start + chunk]
        sql = athena_points_select(
            run_id,
            point_indexes=part,
            shard_ids=sorted({owner[p] for p in part}),
            metrics_has=DESIGN_COLUMNS,
            parameters_has=DESIGN_COLUMNS,
        )
        frames.append(engine.execute(sql).to_pandas())
    return frames


def run_points(engine: QueryEngine, run_id: str) -> pd.DataFrame:
    """The run's committed points, tidy (see the module docstring and :func:`tidy_points`).

    Parameters
    ----------
    engine
        From :func:`~sweeplib.analysis.open_engine`: DuckDB locally, or Athena.
    run_id
        The run.

    Raises
    ------
    InvalidRequest
        A malformed run id, or one the tables know nothing of (with the close matches).
    QueryError
        The engine failed.
    """
    validate_run_id(run_id)
    check_parameters(engine, {"run_id": run_id})
    generations = current_generations(engine, run_id)
    if generations is not None:
        sql = bind_parameters(_RUN_POINTS_SQL, {"run_id": run_id, "generations": generations})
        frames = [engine.execute(sql).to_pandas()]
    else:
        frames = _per_point_frames(engine, run_id)
    frames = [f for f in frames if len(f)]
    if frames:
        raw = pd.concat(frames, ignore_index=True)
    else:
        raw = pd.DataFrame({name: [] for name in RUN_POINTS_SCHEMA.names})
    return tidy_points(raw)


def _run_dimensions(raw: pd.DataFrame) -> list[str]:
    names: set[str] = set()
    for text in raw["selected_dimensions"].dropna().unique():
        names.update(json.loads(text))
    return sorted(names)


def tidy_points(raw: pd.DataFrame) -> pd.DataFrame:
    """A ``run_points``-shaped frame made tidy for analysis.

    Keeps the identity columns, the dimensions the run sets (one typed column each, in
    name order; the other accepted dimensions' all-null columns are dropped) and every
    metric, with times in seconds; integers become ``int64``; rows are sorted by point.
    ``frame.attrs["dimensions"]`` lists the dimension columns.
    """
    dimensions = _run_dimensions(raw) if len(raw) else []
    data: dict[str, object] = {}
    for name in IDENTITY_COLUMNS:
        column = raw[name]
        data[name] = (
            column
            if name == "run_id"
            else column.astype("Int64" if column.isna().any() else "int64")
        )
    for name in dimensions:
        data[name] = raw[name]
    for field in METRIC_FIELDS:
        column = raw[field.name]
        if field.name.endswith("_ms"):
            data[metric_column(field.name)] = column.astype("float64") / 1000.0
        elif str(field.type).startswith("uint"):
            data[field.name] = column.astype("int64")
        else:
            data[field.name] = column.astype("float64")
    frame = pd.DataFrame(data).sort_values("point_index", kind="stable").reset_index(drop=True)
    frame.attrs["dimensions"] = tuple(dimensions)
    return frame


def dimensions_of(frame: pd.DataFrame) -> tuple[str, ...]:
    """The dimension columns of a tidy points frame (also after filters and copies that
    kept ``attrs``; else the columns between the identity and the metrics)."""
    known = frame.attrs.get("dimensions")
    if known is not None:
        return tuple(name for name in known if name in frame.columns)
    skip = set(IDENTITY_COLUMNS) | set(POINT_METRICS) | {"run"}
    return tuple(c for c in frame.columns if c not in skip)


def check_metrics(frame: pd.DataFrame, metrics: Sequence[str] | str | None) -> tuple[str, ...]:
    """``metrics`` as analysis column names (``*_ms`` accepted, as ``*_s``), each checked
    against the frame; ``None``: every metric."""
    if metrics is None:
        return tuple(m for m in POINT_METRICS if m in frame.columns)
    if isinstance(metrics, str):  # one name, or a JSON list (as papermill -p passes it)
        metrics = json_list("metrics", metrics) if metrics.lstrip().startswith("[") else [metrics]
    chosen = []
    for name in metrics:
        column = metric_column(name)
        if column not in POINT_METRICS or column not in frame.columns:
            import difflib

            close = difflib.get_close_matches(column, POINT_METRICS, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidRequest("metrics", f"unknown metric {name!r}{hint}")
        chosen.append(column)
    return tuple(chosen)
