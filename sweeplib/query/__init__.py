"""Querying the outcome datasets: SQL written once in Athena's dialect.

``QueryEngine`` is the port; ``DuckDBQueryEngine`` runs locally over the outcome folder
(transpiling with :func:`transpile_athena`); an Athena engine follows the same port.
The DuckDB engine and the transpiler need the ``local`` extra (duckdb, sqlglot) and are
imported on first use, so importing this package stays cheap (e.g. in the Lambda).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import pyarrow as pa

if TYPE_CHECKING:
    from sweeplib.query.dialect import transpile_athena
    from sweeplib.query.duckdb_engine import DuckDBQueryEngine

__all__ = ["DuckDBQueryEngine", "QueryEngine", "transpile_athena"]


@runtime_checkable
class QueryEngine(Protocol):
    """Runs one SQL statement against the ``ride_sim_analytics`` tables."""

    def execute(self, sql: str, *, dialect: Literal["athena", "duckdb"] = "athena") -> pa.Table:
        """Run ``sql`` and return its rows; raises ``QueryError`` on failure."""
        ...


_LAZY = {
    "DuckDBQueryEngine": "sweeplib.query.duckdb_engine",
    "transpile_athena": "sweeplib.query.dialect",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
