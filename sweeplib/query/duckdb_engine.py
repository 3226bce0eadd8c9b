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
in DuckDB, so before each query the engine checks whether any ``part-0.parquet`` exists
for each table the query reads and (re)defines its view either over the files or as an
empty relation with the same typed columns — a fresh folder is queryable.

Cost at scale (issue 11): a table reference that the query restricts to one run
(``WHERE m.run_id = 'R'``, see :func:`~sweeplib.query.dialect.dataset_tables`) reads a
view over **that run's folder only** (schema ``ride_sim_analytics_runs``), created on
first use. That view reads the files with the schema of the first one — no
``union_by_name``, which opens every file twice — unless the files differ in their
columns (ADR 0015 appended some): for the per-point datasets one file of each shard
folder is looked at (a shard's files are written by one worker), for the others every
file, again whenever the run's files change; and if DuckDB still reports a schema
mismatch, the query is retried with ``union_by_name``. Columns none of the run's files
have read as null. Views over every run (unrestricted references) keep
``union_by_name`` and are only created when a query needs them.

Results are Arrow tables with Athena-like types: DuckDB's ``HUGEINT`` sums come back
as ``int64`` (a value beyond bigint raises ``QueryError``, as Athena's overflow does),
unsigned results as ``int64``, timestamps with time zone in UTC.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest, QueryError
from sweeplib.query.dialect import (
    PATH_COLUMN,
    PATHS_SCHEMA,
    transpile_athena,
)
from sweeplib.storage.keys import DEFAULT_PREFIX, OBJECT_NAME, POINT_DATASETS, dataset_prefix
from sweeplib.storage.schemas import ATHENA_DATABASE, DATASET_SPECS, DatasetSpec

__all__ = ["RUNS_SCHEMA", "DuckDBQueryEngine"]

#: Schema of the views over one run's folder.
RUNS_SCHEMA: Final = f"{ATHENA_DATABASE}_runs"
#: Datasets whose per-run view is a table copied from the files (small, read often).
_COPIED: Final = frozenset({"shard_outcomes", "run_context", "run_consolidation"})
_SPECS_BY_TABLE: Final = {spec.table_name: spec for spec in DATASET_SPECS.values()}

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


def _view_sql(
    spec: DatasetSpec,
    glob: str | None,
    target: str,
    *,
    with_path: bool,
    union: bool = True,
    present: frozenset[str] | None = None,
) -> str:
    """``CREATE OR REPLACE VIEW target`` presenting ``spec``'s Athena table over ``glob``.

    ``union``: read with ``union_by_name`` (files that lack a column read it as null).
    Otherwise the files are read with the first one's schema and the registry columns
    outside ``present`` (those the files do not have) are null.
    """
    columns: list[tuple[str, str]] = [
        (name, _DUCKDB_TYPES[athena]) for name, athena in spec.athena_columns
    ]
    columns += [(name, "VARCHAR") for name in spec.partition_columns]
    if with_path:
        columns.append((PATH_COLUMN, "VARCHAR"))
    if glob is None:
        select = ", ".join(f"CAST(NULL AS {t}) AS {_quote_identifier(n)}" for n, t in columns)
        return f"CREATE OR REPLACE VIEW {target} AS SELECT {select} WHERE false"
    items = []
    for name, type_ in columns:
        if name == PATH_COLUMN:
            items.append(f"filename AS {_quote_identifier(name)}")
        elif name in spec.partition_columns:
            items.append(_quote_identifier(name))  # VARCHAR already: keeps partition pruning
        elif not union and present is not None and name not in present:
            items.append(f"CAST(NULL AS {type_}) AS {_quote_identifier(name)}")
        else:
            items.append(f"CAST({_quote_identifier(name)} AS {type_}) AS {_quote_identifier(name)}")
    files = (
        f"read_parquet({_quote_literal(glob)}, hive_partitioning = true, "
        f"hive_types_autocast = false{', union_by_name = true' if union else ''}"
        f"{', filename = true' if with_path else ''})"
    )
    if union:
        # Files written before a column was appended (ADR 0015) read it as null: the files
        # are unified by name, then with an empty relation that has every registry column.
        every_column = ", ".join(
            f"CAST(NULL AS {_DUCKDB_TYPES[athena]}) AS {_quote_identifier(name)}"
            for name, athena in spec.athena_columns
        )
        files = f"(SELECT * FROM {files} UNION ALL BY NAME SELECT {every_column} WHERE false)"
    return f"CREATE OR REPLACE VIEW {target} AS SELECT {', '.join(items)} FROM {files}"


@dataclass
class _RunView:
    """A view over one run's folder of one dataset, and what it was defined from."""

    name: str
    signature: tuple[str, ...] | None  # the run's shard folders (per-point datasets), or None
    union: bool


def _first_file_per_shard(folders: list[Path]) -> list[str]:
    """One file of each ``status=…/shard…=…`` folder below the run folders."""
    files = []
    for run_folder in folders:
        for status in _subfolders(run_folder):
            for shard in _subfolders(status):
                with os.scandir(shard) as points:
                    for point in points:
                        candidate = os.path.join(point.path, OBJECT_NAME)
                        if not point.name.startswith(".") and os.path.isfile(candidate):
                            files.append(Path(candidate).as_posix())
                            break
    return files


def _files_below(folders: list[Path]) -> list[str]:
    """Every ``part-0.parquet`` below ``folders`` (hidden entries skipped), sorted."""
    found = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            if OBJECT_NAME in filenames:
                found.append(Path(dirpath, OBJECT_NAME).as_posix())
    return sorted(found)


def _file_signature(path: str) -> str:
    """What changes when a file is replaced (the store writes a new file and renames it)."""
    stat = os.stat(path)
    return f"{path}@{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def _subfolders(folder: Path) -> list[Path]:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder) as it:
        return sorted(Path(e.path) for e in it if e.is_dir() and not e.name.startswith("."))
    return []


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
        self._defined: dict[tuple[str, bool], bool] = {}
        self._run_views: dict[tuple[str, str, bool], _RunView] = {}
        self._lock = threading.Lock()
        self._con = duckdb.connect(":memory:")
        for statement in (
            "SET TimeZone = 'UTC'",
            # Join filters pushed into a scan of many small files are checked per file:
            # point_metrics over 10,000 points took 14 s with them, 6 s without (issue 11).
            "SET disabled_optimizers = 'join_filter_pushdown'",
            f"CREATE SCHEMA {_quote_identifier(ATHENA_DATABASE)}",
            f"CREATE SCHEMA {_quote_identifier(PATHS_SCHEMA)}",
            f"CREATE SCHEMA {_quote_identifier(RUNS_SCHEMA)}",
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
        if dialect not in ("athena", "duckdb"):
            raise QueryError(f"unknown dialect {dialect!r}; use 'athena' or 'duckdb'")
        with self._lock:
            for retry in (False, True):
                used: list[tuple[str, str, bool]] = []
                duck_sql = sql
                try:
                    if dialect == "athena":
                        duck_sql = transpile_athena(
                            sql, tables=functools.partial(self._place, used=used)
                        )
                    else:
                        self._refresh_referenced(sql)
                    relation = self._con.sql(duck_sql)
                    table = pa.table({}) if relation is None else _fetch_arrow(relation)
                except duckdb.Error as error:
                    if not retry and used and "schema mismatch" in str(error):
                        for key in used:  # files the sample did not reveal: unify by name
                            self._run_views[key].union = True
                            self._run_views[key].signature = ("stale",)
                        continue
                    raise QueryError(f"{error}\n-- DuckDB SQL:\n{duck_sql}") from error
                break
        return _athena_like(table)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> DuckDBQueryEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- views ------------------------------------------------------------------------

    def _place(
        self, table: exp.Table, run_id: str | None, used: list[tuple[str, str, bool]]
    ) -> None:
        """Point one table reference at the view it should read (defining it if needed)."""
        spec = _SPECS_BY_TABLE[table.name]
        with_path = table.db == PATHS_SCHEMA
        if run_id is not None:
            try:
                validate_run_id(run_id)
            except InvalidRequest:
                run_id = None  # not a run id: no folder of it exists, the full view answers
        if run_id is None:
            self._general_view(spec, with_path)
            return
        key = (spec.name, run_id, with_path)
        name = self._run_view(spec, run_id, with_path)
        used.append(key)
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("db", exp.to_identifier(RUNS_SCHEMA))
        table.set("this", exp.to_identifier(name))

    def _general_view(self, spec: DatasetSpec, with_path: bool) -> None:
        directory = self._dataset_dirs[spec.name]
        has_files = _has_object(directory)
        if self._defined.get((spec.name, with_path)) == has_files:
            return
        glob = (directory / "**" / OBJECT_NAME).as_posix() if has_files else None
        schema = PATHS_SCHEMA if with_path else ATHENA_DATABASE
        target = f"{_quote_identifier(schema)}.{_quote_identifier(spec.table_name)}"
        self._con.execute(_view_sql(spec, glob, target, with_path=with_path))
        self._defined[(spec.name, with_path)] = has_files

    def _refresh_referenced(self, duck_sql: str) -> None:
        """Define the views a DuckDB-dialect statement names (all of them if it does not
        parse): a statement over ``read_parquet`` alone defines none."""
        try:
            names = {t.name for t in sqlglot.parse_one(duck_sql, read="duckdb").find_all(exp.Table)}
        except SqlglotError:
            names = set(_SPECS_BY_TABLE)
        for name in names & set(_SPECS_BY_TABLE):
            for with_path in (False, True):
                self._general_view(_SPECS_BY_TABLE[name], with_path)

    def _run_folders(self, spec: DatasetSpec, run_id: str) -> list[Path]:
        run_folder = f"{spec.partition_columns[1]}={run_id}"
        return [
            date / run_folder
            for date in _subfolders(self._dataset_dirs[spec.name])
            if date.name.startswith("run_date=") and (date / run_folder).is_dir()
        ]

    def _run_view(self, spec: DatasetSpec, run_id: str, with_path: bool) -> str:
        key = (spec.name, run_id, with_path)
        folders = [f for f in self._run_folders(spec, run_id) if _has_object(f)]
        per_point = spec.name in POINT_DATASETS
        signature: tuple[str, ...] | None = None
        sample: list[str] = []
        if folders and per_point:
            # Shard folders: a shard's files are written by one worker (one schema).
            signature = tuple(
                shard.as_posix()
                for folder in folders
                for status in _subfolders(folder)
                for shard in _subfolders(status)
            )
        elif folders:
            # Few files (one per shard at most): every one is looked at, once per change.
            sample = _files_below(folders)
            signature = tuple(_file_signature(path) for path in sample)
        view = self._run_views.get(key)
        if view is not None and view.signature == signature:
            return view.name
        name = view.name if view is not None else f"v{len(self._run_views)}_{spec.table_name}"
        union = view is not None and view.union
        present: frozenset[str] | None = None
        glob = None
        if folders:
            depth = len(spec.partition_columns) - 2
            glob = (
                self._dataset_dirs[spec.name]
                / "run_date=*"
                / f"{spec.partition_columns[1]}={run_id}"
                / ("*/" * depth)
                / OBJECT_NAME
            ).as_posix()
            if not union:
                present, union = self._columns_present(
                    _first_file_per_shard(folders) if per_point else sample
                )
        target = f"{_quote_identifier(RUNS_SCHEMA)}.{_quote_identifier(name)}"
        statement = _view_sql(spec, glob, target, with_path=with_path, union=union, present=present)
        if spec.name in _COPIED:
            # Small records read by every named query (a 200,000-point run has 1,000 outcome
            # files): copied into memory while the run's files stay the same (signature).
            statement = statement.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TABLE", 1)
        self._con.execute(statement)
        self._run_views[key] = _RunView(name=name, signature=signature, union=union)
        return name

    def _columns_present(self, files: list[str]) -> tuple[frozenset[str], bool]:
        """The columns any of ``files`` has, and whether the files differ in them."""
        if not files:
            return frozenset(), False
        listing = "[" + ", ".join(_quote_literal(f) for f in files) + "]"
        rows = self._con.execute(
            f"SELECT file_name, name FROM parquet_schema({listing})"
        ).fetchall()
        per_file: dict[str, set[str]] = {}
        for file_name, name in rows:
            per_file.setdefault(file_name, set()).add(name)
        present = frozenset().union(*per_file.values())
        return present, any(present - names for names in per_file.values())
