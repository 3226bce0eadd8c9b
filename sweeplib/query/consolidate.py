"""The SQL that consolidates a run's per-point objects into its run-level tables (ADR 0016).

Pure builders: values in, SQL text out. Two dialects of the same selection:

* **DuckDB** (:func:`duckdb_points_select`, :func:`duckdb_rows_select`): reads one run's
  per-point files directly (``read_parquet`` over the run's own folders, so other runs'
  files are never listed), with ``union_by_name`` only when the run mixes files written
  before and after the ``design_point``/``replicate``/``point_seed`` columns were appended;
* **Athena** (:func:`athena_unload`): an ``UNLOAD (SELECT …) TO 's3://…'`` over the Glue
  tables, the committed points named literally as partition projection needs (ADR 0006).

Both produce exactly the columns of :data:`~sweeplib.storage.schemas.RUN_POINTS_SCHEMA`
(and the trip and snapshot schemas): ``design_point``, ``replicate`` and ``seed`` come
from the per-point files' own columns when they have them, else ``design_point`` =
``point_index``, ``replicate`` = 0 and ``seed`` = the effective parameters' resolved
seed. Each accepted dimension is a typed column read from ``selected_dimensions`` of the
point's effective parameters (null when the run does not set it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import pyarrow as pa

from sweeplib.storage.schemas import (
    DESIGN_COLUMNS,
    DIMENSION_COLUMN_TYPES,
    METRIC_FIELDS,
    PROVENANCE_COLUMNS,
    RUN_POINTS_SCHEMA,
    RUN_SNAPSHOTS_SCHEMA,
    RUN_TRIPS_SCHEMA,
    SNAPSHOT_COUNTS_SCHEMA,
    TRIP_DATA_SCHEMA,
    athena_type,
)

__all__ = [
    "DESIGN_COLUMNS",
    "athena_points_select",
    "athena_rows_select",
    "athena_unload",
    "duckdb_points_select",
    "duckdb_rows_select",
    "quote_literal",
]

_DUCKDB_TYPES: Final[dict[pa.DataType, str]] = {
    pa.uint64(): "UBIGINT",
    pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT",
    pa.float64(): "DOUBLE",
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
}
_SEED_PATH: Final = "$.resolved_scenario_parameters.seed"


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal (both dialects)."""
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: Iterable[int]) -> str:
    return "(" + ", ".join(quote_literal(str(v)) for v in values) + ")"


def _semi_join_list(values: Iterable[int]) -> str:
    """``(SELECT unnest([...]))``: DuckDB tests a hive partition column against a literal
    ``IN`` list once per file *and* item — 1,000 shard ids over 200,000 files made a
    table's consolidation 5 times slower (issue 11); this form is one hash semi-join."""
    return "(SELECT unnest([" + ", ".join(quote_literal(str(v)) for v in values) + "]))"


def _duckdb_type(type_: pa.DataType) -> str:
    return _DUCKDB_TYPES[type_]


def _design_expressions(
    metrics_has: Sequence[str], parameters_has: Sequence[str], *, dialect: str
) -> tuple[str, str, str]:
    """``design_point``, ``replicate``, ``seed`` expressions from whichever side has them."""
    unsigned = "UBIGINT" if dialect == "duckdb" else "bigint"

    def pick(column: str) -> list[str]:
        found = []
        if column in metrics_has:
            found.append(f"m.{column}")
        if column in parameters_has:
            found.append(f"p.{column}")
        return found

    def coalesce(items: list[str]) -> str:
        return items[0] if len(items) == 1 else f"coalesce({', '.join(items)})"

    point = "m.point_index"
    json_seed = (
        f"TRY_CAST(json_extract_string(p.effective_parameters_json, '{_SEED_PATH}') AS UBIGINT)"
        if dialect == "duckdb"
        else f"TRY_CAST(json_extract_scalar(p.effective_parameters_json, '{_SEED_PATH}') AS bigint)"
    )
    design = coalesce([*pick("design_point"), f"CAST({point} AS {unsigned})"])
    replicate = coalesce([*pick("replicate"), f"CAST(0 AS {unsigned})"])
    seed = coalesce([*pick("point_seed"), json_seed])
    return (
        f"CAST({design} AS {unsigned})",
        f"CAST({replicate} AS {unsigned})",
        f"CAST({seed} AS {unsigned})",
    )


def _dimension_expression(name: str, type_: pa.DataType, dialect: str) -> str:
    path = f"'$.selected_dimensions.{name}'"
    if dialect == "duckdb":
        extracted = f"json_extract_string(p.effective_parameters_json, {path})"
        return f"CAST({extracted} AS {_duckdb_type(type_)})"
    return f"CAST(json_extract_scalar(p.effective_parameters_json, {path}) AS {athena_type(type_)})"


def _points_columns(
    run_id: str,
    metrics_has: Sequence[str],
    parameters_has: Sequence[str],
    dialect: str,
    provenance: Mapping[str, str | None],
) -> list[str]:
    design, replicate, seed = _design_expressions(metrics_has, parameters_has, dialect=dialect)
    cast = _duckdb_type if dialect == "duckdb" else athena_type
    unsigned = cast(pa.uint64())
    varchar = "VARCHAR" if dialect == "duckdb" else "varchar"
    shard = "m.shard_id"
    columns = {
        "run_id": f"CAST({quote_literal(run_id)} AS {varchar})",
        "shard_id": f"CAST({shard} AS {unsigned})",
        "point_index": f"CAST(m.point_index AS {unsigned})",
        "design_point": design,
        "replicate": replicate,
        "seed": seed,
        "status": f"CAST('success' AS {varchar})",
        "parameter_fingerprint": "p.parameter_fingerprint",
        "selected_dimensions": (
            "CAST(json_extract(p.effective_parameters_json, '$.selected_dimensions') AS VARCHAR)"
            if dialect == "duckdb"
            else "json_format(json_extract(p.effective_parameters_json, '$.selected_dimensions'))"
        ),
    }
    for name, type_ in DIMENSION_COLUMN_TYPES.items():
        columns[name] = _dimension_expression(name, type_, dialect)
    for field in METRIC_FIELDS:
        columns[field.name] = f"CAST(m.{field.name} AS {cast(field.type)})"
    for name in PROVENANCE_COLUMNS:
        value = provenance.get(name)
        columns[name] = f"CAST({'NULL' if value is None else quote_literal(value)} AS {varchar})"
    assert list(columns) == RUN_POINTS_SCHEMA.names  # the registry's order, checked
    return [f"{expression} AS {name}" for name, expression in columns.items()]


def _read(glob: str, *, union: bool) -> str:
    options = "hive_partitioning = true, hive_types_autocast = false"
    if union:
        options += ", union_by_name = true"
    return f"read_parquet({quote_literal(glob)}, {options})"


def duckdb_points_select(
    run_id: str,
    *,
    metrics_glob: str,
    parameters_glob: str,
    shard_ids: Sequence[int],
    metrics_has: Sequence[str] = (),
    parameters_has: Sequence[str] = (),
    union_by_name: bool = False,
    provenance: Mapping[str, str | None] | None = None,
) -> str:
    """The ``run_points`` rows of one run's committed shards, in point order (DuckDB).

    Parameters
    ----------
    run_id
        The run (a checked run id).
    metrics_glob, parameters_glob
        The run's own ``shard_metrics`` and ``effective_parameters`` files
        (``…/run_id=…/status=success/*/*/part-0.parquet``).
    shard_ids
        The committed shards (non-empty): only their points are selected.
    metrics_has, parameters_has
        Which of :data:`DESIGN_COLUMNS` the files have.
    union_by_name
        Read with ``union_by_name`` (files with and without those columns: the missing
        ones read as null). Costly over many files: only for runs that mix them.
    provenance
        The run's :data:`PROVENANCE_COLUMNS` values (its run_context record), as literals.
    """
    shards = _semi_join_list(shard_ids)
    columns = _points_columns(run_id, metrics_has, parameters_has, "duckdb", provenance or {})
    return (
        "SELECT\n    "
        + ",\n    ".join(columns)
        + f"\nFROM {_read(metrics_glob, union=union_by_name)} AS m\n"
        + f"JOIN {_read(parameters_glob, union=union_by_name)} AS p\n"
        + "    ON p.shard_id_partition = m.shard_id AND p.point_index_partition = m.point_index\n"
        + f"WHERE m.shard_id IN {shards} AND p.shard_id_partition IN {shards}\n"
        + "ORDER BY CAST(m.point_index AS UBIGINT)"
    )


def _rows_columns(schema: pa.Schema, run_id: str, dialect: str) -> list[str]:
    cast = _duckdb_type if dialect == "duckdb" else athena_type
    varchar = "VARCHAR" if dialect == "duckdb" else "varchar"
    items = [
        f"CAST({quote_literal(run_id)} AS {varchar}) AS run_id",
        f"CAST(t.shard_id AS {cast(pa.uint64())}) AS shard_id",
        f"CAST(t.point_index AS {cast(pa.uint64())}) AS point_index",
    ]
    items += [f"CAST(t.{field.name} AS {cast(field.type)}) AS {field.name}" for field in schema]
    return items


def duckdb_rows_select(run_id: str, *, table: str, glob: str, shard_ids: Sequence[int]) -> str:
    """The ``run_trips`` (``table="trips"``) or ``run_snapshots`` rows of one run (DuckDB)."""
    schema = TRIP_DATA_SCHEMA if table == "trips" else SNAPSHOT_COUNTS_SCHEMA
    target = RUN_TRIPS_SCHEMA if table == "trips" else RUN_SNAPSHOTS_SCHEMA
    columns = _rows_columns(schema, run_id, "duckdb")
    assert [c.rsplit(" AS ", 1)[1] for c in columns] == target.names
    return (
        "SELECT\n    "
        + ",\n    ".join(columns)
        + f"\nFROM {_read(glob, union=False)} AS t\n"
        + f"WHERE t.shard_id IN {_semi_join_list(shard_ids)}\n"
        + f"ORDER BY CAST(t.point_index AS UBIGINT), t.{schema.names[0]}"
    )


# -- Athena -------------------------------------------------------------------------------


def athena_points_select(
    run_id: str,
    *,
    point_indexes: Sequence[int],
    shard_ids: Sequence[int],
    metrics_has: Sequence[str] = (),
    parameters_has: Sequence[str] = (),
    provenance: Mapping[str, str | None] | None = None,
) -> str:
    """The ``run_points`` rows of some committed points, over the Glue tables (Athena).

    The run id and the points are named literally (partition projection, ADR 0006).
    """
    columns = _points_columns(run_id, metrics_has, parameters_has, "athena", provenance or {})
    run = quote_literal(run_id)
    points = _in_list(point_indexes)
    return (
        "SELECT\n    "
        + ",\n    ".join(columns)
        + "\nFROM ride_sim_analytics.sweep_shard_metrics m\n"
        + "JOIN ride_sim_analytics.sweep_effective_parameters p\n"
        + "    ON p.run_id_partition = m.run_id AND p.run_date = m.run_date\n"
        + "    AND p.shard_id_partition = m.shard_id AND p.point_index_partition = m.point_index\n"
        + f"WHERE m.run_id = {run} AND p.run_id_partition = {run}\n"
        + "  AND m.status = 'success' AND p.status_partition = 'success'\n"
        + f"  AND m.shard_id IN {_in_list(shard_ids)}\n"
        + f"  AND m.point_index IN {points} AND p.point_index_partition IN {points}"
    )


def athena_rows_select(
    run_id: str, *, table: str, point_indexes: Sequence[int], shard_ids: Sequence[int]
) -> str:
    """The ``run_trips``/``run_snapshots`` rows of some committed points (Athena)."""
    schema = TRIP_DATA_SCHEMA if table == "trips" else SNAPSHOT_COUNTS_SCHEMA
    source = "sweep_trip_data" if table == "trips" else "sweep_snapshot_counts"
    run = quote_literal(run_id)
    return (
        "SELECT\n    "
        + ",\n    ".join(_rows_columns(schema, run_id, "athena"))
        + f"\nFROM ride_sim_analytics.{source} t\n"
        + f"WHERE t.run_id = {run} AND t.status = 'success'\n"
        + f"  AND t.shard_id IN {_in_list(shard_ids)}\n"
        + f"  AND t.point_index IN {_in_list(point_indexes)}"
    )


def athena_unload(select: str, location: str) -> str:
    """``UNLOAD (select) TO 'location' WITH (format = 'PARQUET', compression = 'ZSTD')``.

    ``location`` is an ``s3://…/`` folder that must be empty (Athena refuses otherwise):
    each consolidation writes a new generation folder (ADR 0016).
    """
    return (
        f"UNLOAD (\n{select}\n)\nTO {quote_literal(location)}\n"
        "WITH (format = 'PARQUET', compression = 'ZSTD')"
    )
