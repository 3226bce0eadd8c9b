"""``DuckDBQueryEngine``: Athena SQL over the local outcome folder, with DuckDB.

The in-memory connection exposes schema ``ride_sim_analytics`` (also the default
schema, so unqualified table names work) with one view per dataset, named like the
Athena table. Each view reads ``{data_dir}/{prefix}/dataset={name}/**/part-0.parquet``
with Hive partitioning and presents exactly the Athena table: data columns in file
order with Athena's declared types (unsigned → ``BIGINT``/``TINYINT``), then the
partition columns as ``VARCHAR``. Schema ``ride_sim_analytics_paths`` holds the same
views plus a ``"$path"`` column (the file's absolute path), used by queries that
reference Athena's ``"$path"`` (see :mod:`sweeplib.query.dialect`).

Freshness: DuckDB expands a view's glob every time a query binds it, so files written
after the engine was created are always seen. A glob that matches nothing is an error
in DuckDB, so before each query the engine checks, per dataset, whether any
``part-0.parquet`` exists and (re)defines the view either over the files or as an
empty relation with the same typed columns — a fresh folder is queryable.

Results are Arrow tables with Athena-like types: DuckDB's ``HUGEINT`` sums come back
as ``int64`` (a value beyond bigint raises ``QueryError``, as Athena's overflow does),
unsigned results as ``int64``, timestamps with time zone in UTC.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sweeplib.errors import QueryError
from sweeplib.query.dialect import PATH_COLUMN, PATHS_SCHEMA, transpile_athena
from sweeplib.storage.keys import DEFAULT_PREFIX, OBJECT_NAME, dataset_prefix
from sweeplib.storage.schemas import ATHENA_DATABASE, DATASET_SPECS, DatasetSpec

__all__ = ["DuckDBQueryEngine"]

_DUCKDB_TYPES: Final = {
    "bigint": "BIGINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
}


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_object(directory: Path) -> bool:
    """Whether any ``part-0.parquet`` exists below ``directory`` (stops at the first)."""
    for _dirpath, dirnames, filenames in os.walk(directory):
        if OBJECT_NAME in filenames:
            return True
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
    return False


def _view_sql(spec: DatasetSpec, glob: str | None, schema: str, with_path: bool) -> str:
    columns: list[tuple[str, str]] = [
        (name, _DUCKDB_TYPES[athena]) for name, athena in spec.athena_columns
    ]
    columns += [(name, "VARCHAR") for name in spec.partition_columns]
    if with_path:
        columns.append((PATH_COLUMN, "VARCHAR"))
    target = f"{_quote_identifier(schema)}.{_quote_identifier(spec.table_name)}"
    if glob is None:
        select = ", ".join(f"CAST(NULL AS {t}) AS {_quote_identifier(n)}" for n, t in columns)
        return f"CREATE OR REPLACE VIEW {target} AS SELECT {select} WHERE false"
    items = []
    for name, type_ in columns:
        if name == PATH_COLUMN:
            items.append(f"filename AS {_quote_identifier(name)}")
        elif name in spec.partition_columns:
            items.append(_quote_identifier(name))  # VARCHAR already: keeps partition pruning
        else:
            items.append(f"CAST({_quote_identifier(name)} AS {type_}) AS {_quote_identifier(name)}")
    # Files written before a column was appended (ADR 0015) read it as null: the files are
    # unified by name, then with an empty relation that has every column of the registry.
    files = (
        f"read_parquet({_quote_literal(glob)}, hive_partitioning = true, "
        f"hive_types_autocast = false, union_by_name = true"
        f"{', filename = true' if with_path else ''})"
    )
    every_column = ", ".join(
        f"CAST(NULL AS {_DUCKDB_TYPES[athena]}) AS {_quote_identifier(name)}"
        for name, athena in spec.athena_columns
    )
    source = f"(SELECT * FROM {files} UNION ALL BY NAME SELECT {every_column} WHERE false)"
    return f"CREATE OR REPLACE VIEW {target} AS SELECT {', '.join(items)} FROM {source}"


def _fetch_arrow(relation: Any) -> pa.Table:
    # DuckDB 2 names it to_arrow_table (and warns on the old spellings); 1.x has arrow().
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    table: pa.Table = fetch()
    return table


def _athena_like(table: pa.Table) -> pa.Table:
    """Map DuckDB-only result types to what Athena would return (bigint for HUGEINT/unsigned)."""
    columns = []
    changed = False
    for field, column in zip(table.schema, table.columns, strict=True):
        type_ = field.type
        if (pa.types.is_decimal(type_) and type_.scale == 0 and type_.precision == 38) or (
            pa.types.is_unsigned_integer(type_)
        ):
            try:
                column = pc.cast(column, pa.int64())
            except pa.ArrowInvalid as error:
                raise QueryError(f"column {field.name!r}: value out of bigint range") from error
            changed = True
        columns.append(column)
    if not changed:
        return table
    return pa.Table.from_arrays(columns, names=table.column_names)


class DuckDBQueryEngine:
    """Run Athena SQL (or DuckDB SQL) over a local outcome folder.

    A query's text is not limited here, so per-point queries name every point at once
    (``point_chunk = None``: one scan, never a chunked re-scan).

    Parameters
    ----------
    data_dir
        The local store's root folder (``LocalObjectStore(data_dir)``); need not exist.
    prefix
        Base prefix of the outcome keys (default ``serverless-sweeps/outcomes``).
    """

    point_chunk: int | None = None

    def __init__(self, data_dir: str | os.PathLike[str], prefix: str = DEFAULT_PREFIX) -> None:
        self._data_dir = Path(os.path.abspath(data_dir))
        self._dataset_dirs = {
            name: self._data_dir.joinpath(
                *dataset_prefix(name, prefix=prefix).strip("/").split("/")
            )
            for name in DATASET_SPECS
        }
        self._defined: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._con = duckdb.connect(":memory:")
        for statement in (
            "SET TimeZone = 'UTC'",
            f"CREATE SCHEMA {_quote_identifier(ATHENA_DATABASE)}",
            f"CREATE SCHEMA {_quote_identifier(PATHS_SCHEMA)}",
            f"SET schema = {_quote_literal(ATHENA_DATABASE)}",
        ):
            self._con.execute(statement)

    @property
    def data_dir(self) -> Path:
        """The absolute folder the views read."""
        return self._data_dir

    def execute(self, sql: str, *, dialect: Literal["athena", "duckdb"] = "athena") -> pa.Table:
        """Run one query and return its rows.

        Parameters
        ----------
        sql
            One statement; Athena SQL is transpiled (:func:`transpile_athena`),
            ``dialect="duckdb"`` runs as is.
        dialect
            ``"athena"`` (default) or ``"duckdb"``.

        Returns
        -------
        pyarrow.Table
            The result (empty with no columns for statements that return nothing).

        Raises
        ------
        QueryError
            If the SQL cannot be transpiled or DuckDB rejects it; the message carries
            DuckDB's error and the SQL that ran.
        """
        if dialect == "athena":
            duck_sql = transpile_athena(sql)
        elif dialect == "duckdb":
            duck_sql = sql
        else:
            raise QueryError(f"unknown dialect {dialect!r}; use 'athena' or 'duckdb'")
        with self._lock:
            self._refresh_views()
            try:
                relation = self._con.sql(duck_sql)
                table = pa.table({}) if relation is None else _fetch_arrow(relation)
            except duckdb.Error as error:
                raise QueryError(f"{error}\n-- DuckDB SQL:\n{duck_sql}") from error
        return _athena_like(table)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> DuckDBQueryEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _refresh_views(self) -> None:
        for name, spec in DATASET_SPECS.items():
            directory = self._dataset_dirs[name]
            has_files = _has_object(directory)
            if self._defined.get(name) == has_files:
                continue
            glob = (directory / "**" / OBJECT_NAME).as_posix() if has_files else None
            self._con.execute(_view_sql(spec, glob, ATHENA_DATABASE, with_path=False))
            self._con.execute(_view_sql(spec, glob, PATHS_SCHEMA, with_path=True))
            self._defined[name] = has_files
