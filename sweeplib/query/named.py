"""Named queries: Athena-dialect ``.sql`` files shipped in ``sweeplib/query/sql/``.

Parameters are written ``:name`` in the SQL and bound client-side as SQL literals —
the same named style awswrangler uses for Athena — so one file runs on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

from sweeplib.errors import InvalidRequest

__all__ = ["bind_parameters", "named_query", "named_query_names", "parameters_of"]

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
