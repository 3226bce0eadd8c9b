"""Named queries: Athena-dialect ``.sql`` files shipped in ``sweeplib/query/sql/``.

Parameters are written ``:name`` in the SQL and bound client-side as SQL literals —
the same named style awswrangler uses for Athena — so one file runs on both engines.
A list value binds as a parenthesised literal list, for ``x IN :name``.

Per-point queries take ``:point_indexes``: with partition projection, Athena only
reads a per-point table when the query names its points literally (ADR 0006).
:func:`run_named` fills it in from the run's committed shards and, for queries marked
``-- chunkable`` (one row per point), runs them in chunks small enough for Athena's
query-length limit.
"""

from __future__ import annotations

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
    "committed_points",
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
    chunk: int = POINT_CHUNK,
) -> pyarrow.Table:
    """Run a named query, filling ``:point_indexes`` in when the query needs it.

    Raises
    ------
    InvalidRequest
        Unknown query, missing or unexpected parameters.
    QueryError
        The engine failed.
    """
    sql = named_query(name)
    wanted = parameters_of(sql)
    values = dict(values)
    if "point_indexes" in wanted and "point_indexes" not in values:
        runs = [str(values[p]) for p in ("run_id", "run_a", "run_b") if p in values]
        points = committed_points(engine, runs) or ["-1"]  # "-1" matches no point
        if sql.startswith("-- chunkable") and len(points) > chunk:
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
