"""Named queries: Athena-dialect ``.sql`` files shipped in ``sweeplib/query/sql/``.

Parameters are written ``:name`` in the SQL and bound client-side as SQL literals —
the same named style awswrangler uses for Athena — so one file runs on both engines.
A list value binds as a parenthesised literal list, for ``x IN :name``.

Per-point queries take ``:point_indexes``: with partition projection, Athena only
reads a per-point table when the query names its points literally (ADR 0006).

:func:`run_named` reads a run's **run-level tables** when they are current (ADR 0016):
a per-point query with a variant in ``sql/run_tables/`` runs that variant, over the
generation the run's ``run_consolidation`` record names, when that record holds every
committed shard. Otherwise it fills ``:point_indexes`` in from the committed shards and
scans the per-point tables **once** — split into chunks (``-- chunkable`` queries, one
row per point) only on engines whose query text is limited (Athena; an engine says so
with a ``point_chunk`` attribute, ``None`` for no limit).

Parameters are checked before anything runs (ADR 0017): a run id the tables do not
know, a ``metric`` that is not a ``shard_metrics`` column, a ``dimension`` that is not
one of the run's dimensions each raise :class:`~sweeplib.errors.InvalidRequest` naming
it and the close matches, instead of returning an empty or averaged result.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING

from sweeplib.errors import InvalidRequest

if TYPE_CHECKING:
    import pyarrow

    from sweeplib.query import QueryEngine

__all__ = [
    "bind_parameters",
    "check_parameters",
    "committed_points",
    "current_generations",
    "named_query",
    "named_query_names",
    "parameters_of",
    "run_named",
]

POINT_CHUNK = 20_000

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)\b")
# String literals (kept verbatim, never bound into) and -- line comments (dropped, so
# an apostrophe or a :name in a comment cannot confuse the binding).
_LITERAL_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


def named_query_names() -> list[str]:
    """The available named queries, sorted."""
    folder = resources.files("sweeplib.query") / "sql"
    return sorted(p.name.removesuffix(".sql") for p in folder.iterdir() if p.name.endswith(".sql"))


def run_tables_variant(name: str) -> str | None:
    """The SQL of a named query's variant over the run-level tables, if it has one."""
    path = resources.files("sweeplib.query") / "sql" / "run_tables" / f"{name}.sql"
    return path.read_text() if path.is_file() else None


def named_query(name: str) -> str:
    """The SQL text of a named query.

    Raises
    ------
    InvalidRequest
        Unknown name; the reason lists the known ones.
    """
    if name not in named_query_names():
        known = ", ".join(named_query_names())
        raise InvalidRequest("query", f"unknown named query {name!r}; known: {known}")
    return (resources.files("sweeplib.query") / "sql" / f"{name}.sql").read_text()


def parameters_of(sql: str) -> list[str]:
    """The ``:name`` parameters of ``sql`` (outside string literals), in first-use order."""
    found: list[str] = []
    for name in _PARAMETER.findall(_LITERAL_OR_COMMENT.sub(_blank, sql)):
        if name not in found:
            found.append(name)
    return found


def _blank(match: re.Match[str]) -> str:
    return "''" if match.group(0).startswith("'") else ""


def _literal(value: object) -> str:
    if isinstance(value, list | tuple):
        if not value:
            raise InvalidRequest("parameter", "an empty list cannot be bound into SQL")
        return "(" + ", ".join(_literal(item) for item in value) + ")"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


def bind_parameters(sql: str, values: Mapping[str, object]) -> str:
    """Replace each ``:name`` with the literal of ``values[name]`` (strings quoted).

    Raises
    ------
    InvalidRequest
        A parameter without a value, or a value for no parameter.
    """
    wanted = parameters_of(sql)
    missing = [name for name in wanted if name not in values]
    if missing:
        raise InvalidRequest(f"--param {missing[0]}", "the query needs this parameter")
    unused = [name for name in values if name not in wanted]
    if unused:
        raise InvalidRequest(f"--param {unused[0]}", "the query has no such parameter")

    pieces = []
    position = 0
    for literal in _LITERAL_OR_COMMENT.finditer(sql):
        pieces.append(_substitute(sql[position : literal.start()], values))
        if literal.group(0).startswith("'"):
            pieces.append(literal.group(0))
        position = literal.end()
    pieces.append(_substitute(sql[position:], values))
    return "".join(pieces)


def _substitute(text: str, values: Mapping[str, object]) -> str:
    return _PARAMETER.sub(lambda match: _literal(values[match.group(1)]), text)


_CONSOLIDATION_SQL = """
SELECT shard_ids, partitions, dimensions
FROM ride_sim_analytics.sweep_run_consolidation
WHERE run_id_partition = :run_id
"""
_COMMITTED_SQL = """
SELECT DISTINCT CAST(shard_id_partition AS bigint) AS shard_id
FROM ride_sim_analytics.sweep_shard_outcomes
WHERE run_id_partition = :run_id AND status_partition = 'success'
"""
_RUN_KNOWN_SQL = """
SELECT
    (SELECT count(*) FROM ride_sim_analytics.sweep_run_context
     WHERE run_id_partition = :run_id) AS contexts,
    (SELECT count(*) FROM ride_sim_analytics.sweep_shard_outcomes
     WHERE run_id_partition = :run_id) AS outcomes
"""
_RUN_IDS_SQL = "SELECT DISTINCT run_id FROM ride_sim_analytics.sweep_run_context"
_DIMENSIONS_SQL = """
SELECT json_format(json_extract(effective_parameters_json, '$.selected_dimensions')) AS selected
FROM ride_sim_analytics.sweep_effective_parameters
WHERE run_id_partition = :run_id AND point_index_partition IN :point_indexes
LIMIT 1
"""


def _split(text: object) -> list[str]:
    return [item for item in str(text or "").split(",") if item]


def current_generations(engine: QueryEngine, run_id: str) -> list[str] | None:
    """The partitions of the run's current run-level tables, if they hold every committed
    shard; ``None`` when the run was never consolidated or more shards committed since."""
    record = engine.execute(bind_parameters(_CONSOLIDATION_SQL, {"run_id": run_id})).to_pylist()
    if len(record) != 1:
        return None
    held = {int(s) for s in _split(record[0]["shard_ids"])}
    table = engine.execute(bind_parameters(_COMMITTED_SQL, {"run_id": run_id}))
    committed = {int(s) for s in table.column("shard_id").to_pylist()}
    if held != committed:
        return None
    return _split(record[0]["partitions"]) or None


def _close(name: str, known: Sequence[str]) -> str:
    matches = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""


def _check_run(engine: QueryEngine, run_id: str, field: str) -> None:
    row = engine.execute(bind_parameters(_RUN_KNOWN_SQL, {"run_id": run_id})).to_pylist()[0]
    if row["contexts"] or row["outcomes"]:
        return
    known = [str(r) for r in engine.execute(_RUN_IDS_SQL).column("run_id").to_pylist()]
    raise InvalidRequest(field, f"no run {run_id!r} in the tables{_close(run_id, known)}")


def _run_dimensions(engine: QueryEngine, run_id: str) -> list[str] | None:
    record = engine.execute(bind_parameters(_CONSOLIDATION_SQL, {"run_id": run_id})).to_pylist()
    if record:
        return _split(record[0]["dimensions"])
    points = committed_points(engine, [run_id])[:1]
    if not points:
        return None
    rows = engine.execute(
        bind_parameters(_DIMENSIONS_SQL, {"run_id": run_id, "point_indexes": points})
    ).to_pylist()
    if not rows or rows[0]["selected"] is None:
        return None
    return sorted(json.loads(rows[0]["selected"]))


def check_parameters(engine: QueryEngine, values: Mapping[str, object]) -> None:
    """Refuse parameters that would make a named query return an empty or averaged answer.

    Raises
    ------
    InvalidRequest
        ``run_id``/``run_a``/``run_b`` that no table knows; a ``metric`` that is not a
        ``shard_metrics`` column; a ``dimension`` that is not an accepted dimension or not
        one of the run's. The reason names the value and the close matches.
    """
    from sweeplib.dimensions import DIMENSION_NAMES
    from sweeplib.storage.schemas import METRIC_FIELDS

    metric_names = [field.name for field in METRIC_FIELDS]

    for field in ("run_id", "run_a", "run_b"):
        if field in values:
            _check_run(engine, str(values[field]), field)
    if "metric" in values:
        metric = str(values["metric"])
        if metric not in metric_names:
            close = _close(metric, metric_names)
            raise InvalidRequest("metric", f"unknown metric {metric!r}{close}")
    if "dimension" in values:
        dimension = str(values["dimension"])
        if dimension not in DIMENSION_NAMES:
            close = _close(dimension, DIMENSION_NAMES)
            raise InvalidRequest("dimension", f"unknown dimension {dimension!r}{close}")
        if "run_id" in values:
            run_dimensions = _run_dimensions(engine, str(values["run_id"]))
            if run_dimensions is not None and dimension not in run_dimensions:
                raise InvalidRequest(
                    "dimension",
                    f"run {values['run_id']!r} does not set {dimension!r}; its dimensions: "
                    + ", ".join(run_dimensions),
                )


def committed_points(engine: QueryEngine, run_ids: Sequence[str]) -> list[str]:
    """Point indexes (as partition strings) of the committed shards of ``run_ids``."""
    points: set[int] = set()
    for run_id in run_ids:
        sql = bind_parameters(named_query("shard_coverage"), {"run_id": run_id})
        for row in engine.execute(sql).to_pylist():
            if row["state"] == "succeeded":
                points.update(range(row["start_index"], row["end_index_exclusive"]))
    return [str(p) for p in sorted(points)]


def run_named(
    engine: QueryEngine,
    name: str,
    values: Mapping[str, object],
    *,
    chunk: int | None = None,
    check: bool = True,
) -> pyarrow.Table:
    """Run a named query: over the run-level tables when they are current, else over the
    per-point tables with ``:point_indexes`` filled in (see the module docstring).

    Parameters
    ----------
    chunk
        Most points named in one per-point query; default: the engine's ``point_chunk``
        attribute (``None`` there: no limit, one scan), else :data:`POINT_CHUNK`.
    check
        Check the parameters first (:func:`check_parameters`).

    Raises
    ------
    InvalidRequest
        Unknown query, missing or unexpected parameters, an unknown run, metric or
        dimension.
    QueryError
        The engine failed.
    """
    sql = named_query(name)
    wanted = parameters_of(sql)
    values = dict(values)
    if check:
        check_parameters(engine, values)
    if "point_indexes" in wanted and "point_indexes" not in values:
        runs = [str(values[p]) for p in ("run_id", "run_a", "run_b") if p in values]
        variant = run_tables_variant(name)
        if variant is not None:
            generations = [current_generations(engine, run) for run in runs]
            if runs and all(g is not None for g in generations):
                names = ["generations"] if len(runs) == 1 else ["generations_a", "generations_b"]
                bound = dict(zip(names, generations, strict=True))
                return engine.execute(bind_parameters(variant, {**values, **bound}))
        points = committed_points(engine, runs) or ["-1"]  # "-1" matches no point
        if chunk is None:
            chunk = getattr(engine, "point_chunk", POINT_CHUNK)
        if sql.startswith("-- chunkable") and chunk is not None and len(points) > chunk:
            import pyarrow as pa

            parts = [
                engine.execute(
                    bind_parameters(sql, {**values, "point_indexes": points[i : i + chunk]})
                )
                for i in range(0, len(points), chunk)
            ]
            return pa.concat_tables(parts)
        values["point_indexes"] = points
    return engine.execute(bind_parameters(sql, values))
