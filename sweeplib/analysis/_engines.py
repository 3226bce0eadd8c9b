"""Opening a query engine by backend name, and running named queries into DataFrames."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.analysis._inputs import resolve_data_dir
from sweeplib.errors import InvalidRequest
from sweeplib.query import QueryEngine
from sweeplib.query.named import (
    POINT_CHUNK,
    current_generations,
    named_query,
    run_named,
    run_tables_variant,
)
from sweeplib.storage.schemas import ATHENA_DATABASE

__all__ = [
    "ATHENA_ENGINE",
    "BACKENDS",
    "DEFAULT_WORKGROUP",
    "Backend",
    "committed_point_indexes",
    "named_frame",
    "open_engine",
    "point_frame",
    "points_frame",
]

Backend = Literal["local", "athena"]
#: Query backends: DuckDB over a local folder, or Athena.
BACKENDS: Final = ("local", "athena")
#: ``module:attribute`` of the Athena engine, imported only for ``backend="athena"``.
ATHENA_ENGINE: Final = "sweeplib.query.athena_engine:AthenaQueryEngine"
DEFAULT_WORKGROUP: Final = "primary"


def open_engine(
    backend: str = "local",
    *,
    data_dir: str | os.PathLike[str] | None = "data",
    database: str = ATHENA_DATABASE,
    workgroup: str = DEFAULT_WORKGROUP,
    output_location: str | None = None,
    boto3_session: Any = None,
) -> QueryEngine:
    """The query engine of a backend.

    Parameters
    ----------
    backend
        ``"local"``: DuckDB over ``data_dir`` (the ``local`` extra); ``"athena"``: the
        Athena engine (the ``athena`` extra), imported only then.
    data_dir
        The local outcome folder (local backend); it must exist. A relative folder is
        resolved against the project root, not the working directory
        (:func:`~sweeplib.analysis.resolve_data_dir`).
    database, workgroup, output_location
        Athena's database, workgroup and query result location (``s3://…``; ``None``
        uses the workgroup's). Ignored by the local backend.
    boto3_session
        Credentials and region for Athena (default: the usual chain).

    Returns
    -------
    QueryEngine
        Its ``execute(sql)`` runs Athena-dialect SQL and returns a ``pyarrow.Table``.

    Raises
    ------
    InvalidRequest
        ``field`` ``"backend"`` for an unknown backend, ``"data_dir"`` for a local
        folder that does not exist (the reason names the path it resolved to).
    """
    if backend == "local":
        folder = resolve_data_dir(data_dir)
        from sweeplib.query import DuckDBQueryEngine

        return DuckDBQueryEngine(folder)
    if backend == "athena":
        module_name, _, attribute = ATHENA_ENGINE.partition(":")
        engine_class = getattr(importlib.import_module(module_name), attribute)
        engine: QueryEngine = engine_class(
            database=database,
            workgroup=workgroup,
            output_location=output_location,
            boto3_session=boto3_session,
        )
        return engine
    raise InvalidRequest("backend", f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")


def named_frame(engine: QueryEngine, name: str, **parameters: object) -> pd.DataFrame:
    """Run a named query (``sweeplib/query/sql/{name}.sql``) and return its rows.

    ``:point_indexes`` is filled in from the run's committed shards when not given
    (:func:`sweeplib.query.named.run_named`).

    Raises
    ------
    InvalidRequest
        An unknown query name, or parameters that do not match the query's.
    QueryError
        The engine failed.
    """
    return run_named(engine, name, parameters).to_pandas()


def committed_point_indexes(coverage: pd.DataFrame) -> list[str]:
    """The point indexes (partition strings) of the succeeded shards of a
    ``shard_coverage`` result, in order — without another query."""
    points: list[int] = []
    for row in coverage.itertuples():
        if row.state == "succeeded":
            points.extend(range(int(row.start_index), int(row.end_index_exclusive)))
    return [str(p) for p in sorted(points)]


Merge = Callable[[list[pd.DataFrame]], pd.DataFrame]


def point_frame(
    engine: QueryEngine,
    name: str,
    points: Sequence[str],
    *,
    merge: Merge | None = None,
    chunk: int | None = None,
    **parameters: object,
) -> pd.DataFrame:
    """Run a per-point named query over the given points, in chunks when there are many.

    When the run's run-level tables are current and the query has a variant over them
    (ADR 0016), that variant runs instead, once, and ``points`` is not needed. Otherwise:
    Athena reads a per-point table only for points named literally, and a query's text
    is limited (ADR 0006): above ``chunk`` points the query runs once per chunk (an
    engine whose ``point_chunk`` is ``None``, DuckDB, gets every point in one query). Chunks of
    a ``-- chunkable`` query (one row per point) are concatenated; other queries need a
    ``merge`` that combines the chunks' results exactly, else they run in one piece.

    Parameters
    ----------
    points
        Point indexes as partition strings (:func:`committed_point_indexes`); none
        gives the query's empty result.
    """
    sql = named_query(name)
    runs = [str(parameters[p]) for p in ("run_id", "run_a", "run_b") if p in parameters]
    if (
        runs
        and run_tables_variant(name) is not None
        and all(current_generations(engine, run) is not None for run in runs)
    ):
        # the run-level tables hold every committed point: one query, no point list
        return run_named(engine, name, parameters).to_pandas()
    chosen = list(points) or ["-1"]  # "-1" matches no point
    splittable = merge is not None or sql.startswith("-- chunkable")
    limit = chunk if chunk is not None else getattr(engine, "point_chunk", POINT_CHUNK)
    size = limit if splittable and limit is not None else max(len(chosen), 1)
    frames = [
        run_named(engine, name, {**parameters, "point_indexes": chosen[i : i + size]}).to_pandas()
        for i in range(0, len(chosen), size)
    ]
    if len(frames) == 1:
        return frames[0]
    if merge is not None:
        return merge(frames)
    return pd.concat(frames, ignore_index=True)


def points_frame(
    run_id: str, *, data_dir: str | os.PathLike[str] = "data", prefix: str | None = None
) -> pd.DataFrame:
    """A local run's points table as a DataFrame, unrounded (what ``sweep export`` writes).

    One row per committed point: identity (``run_id``, ``shard_id``, ``point_index``,
    ``design_point``, ``replicate``, ``seed``), ``status``, ``parameter_fingerprint``,
    ``selected_dimensions``, one typed column per dimension of the run, every metric.
    The run is consolidated first when its run-level tables are missing or stale.

    Raises
    ------
    InvalidRequest
        ``data_dir`` is not a folder (relative: under the project root, as for
        :func:`open_engine`); ``run_id`` was never accepted there, or has no committed
        shard yet.
    """
    from sweeplib import services
    from sweeplib.errors import ObjectNotFound
    from sweeplib.storage import LocalObjectStore, keys

    data_dir = resolve_data_dir(data_dir)
    store = LocalObjectStore(data_dir)
    try:
        table = services.export_points(
            store, run_id, now=services.utc_now(), prefix=prefix or keys.DEFAULT_PREFIX
        )
    except ObjectNotFound:
        raise InvalidRequest("run_id", f"no run {run_id!r} was accepted in {data_dir}") from None
    return table.to_pandas()
