"""The Athena tables rendered from the dataset registry: DDL and Terraform's Glue data.

:data:`sweeplib.storage.schemas.DATASET_SPECS` says what each dataset is: its columns
(Arrow schema → Athena types), its table name and its partition columns in path order.
Everything else about a table follows from those facts, and is derived here once:

* each partition column's **projection** (ADR 0006), by its role — the name without a
  ``_partition`` suffix: ``run_date`` → ``date``; ``run_id`` → ``injected``; ``status`` →
  ``enum`` of the dataset's statuses (``accepted`` for run_context, ``success,failure``
  otherwise); ``shard_id`` → ``integer`` over ``0..max_shards-1``; ``point_index`` →
  ``injected``; ``generation`` (the run-level tables' consolidation generation, ADR 0016)
  → ``injected``: readers name the current generation, read from ``run_consolidation``;
* the **location template**: :func:`sweeplib.storage.keys.location_template`, the storage
  keys with Athena's ``${column}`` placeholders.

Two renderings use them: :func:`render_ddl` (the statements ``sweep athena-bootstrap``
runs, see :func:`sweeplib.query.bootstrap.ddl_statements`) and :func:`terraform_tables`
(``infra/terraform/athena_tables.json``, which ``glue.tf`` reads). Regenerate the latter
after changing the registry::

    python -m sweeplib.query.ddl --terraform > infra/terraform/athena_tables.json

(``make render-terraform``); a unit test fails while the committed file is stale.
Everything but :func:`main` is pure: values in, strings out, nothing validated twice —
callers pass a checked bucket, a normalized prefix and a ``YYYY-MM-DD`` date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal, get_args

from sweeplib.contracts import SCHEMA_VERSION, STATUS_ACCEPTED
from sweeplib.storage import keys
from sweeplib.storage.schemas import ATHENA_DATABASE, DATASET_SPECS, DatasetSpec

__all__ = [
    "TERRAFORM_FILE",
    "ProjectionType",
    "database_ddl",
    "main",
    "partition_projection",
    "projection_type",
    "render_ddl",
    "render_terraform_json",
    "statuses",
    "table_ddl",
    "terraform_tables",
]

#: Where the Terraform rendering is committed, relative to the repository root.
TERRAFORM_FILE: Final = "infra/terraform/athena_tables.json"
_REGENERATE: Final = f"python -m sweeplib.query.ddl --terraform > {TERRAFORM_FILE}"

ProjectionType = Literal["date", "injected", "enum", "integer"]

# Partition column role (its name without "_partition") -> projection type (ADR 0006).
_ROLE_PROJECTIONS: Final[Mapping[str, ProjectionType]] = {
    "run_date": "date",
    "run_id": "injected",
    "status": "enum",
    "shard_id": "integer",
    "point_index": "injected",
    "generation": "injected",
}
_OUTCOME_STATUSES: Final[tuple[str, ...]] = get_args(keys.OutcomeStatus)

_DATABASE_COMMENT: Final = f"sweeplib outcome datasets (schema {SCHEMA_VERSION})"
_JSON_WIDTH: Final = 100


# -- facts derived from the registry ------------------------------------------------------


def projection_type(column: str) -> ProjectionType:
    """How Athena projects one partition column, from its role.

    Parameters
    ----------
    column
        A partition column name, e.g. ``"shard_id_partition"`` or ``"shard_id"``.

    Returns
    -------
    ProjectionType
        ``"date"``, ``"injected"``, ``"enum"`` or ``"integer"``.

    Raises
    ------
    ValueError
        For a column whose role has no projection (a new partition column needs one
        chosen here first).
    """
    try:
        return _ROLE_PROJECTIONS[column.removesuffix("_partition")]
    except KeyError:
        raise ValueError(f"no partition projection for column {column!r}") from None


def statuses(spec: DatasetSpec) -> tuple[str, ...]:
    """The values of a dataset's status partition, in enum order.

    ``("accepted",)`` for run_context (written once, at acceptance); none for the
    run-level tables (no status partition); the outcome statuses ``("success",
    "failure")`` for every other dataset.
    """
    if spec.name == "run_context":
        return (STATUS_ACCEPTED,)
    if "status" not in spec.partition_columns and "status_partition" not in spec.partition_columns:
        return ()
    return _OUTCOME_STATUSES


def partition_projection(
    spec: DatasetSpec, *, projection_start_date: str, max_shards: int
) -> dict[str, str]:
    """The ``projection.<column>.*`` table properties of one dataset, in path order.

    Parameters
    ----------
    spec
        The dataset.
    projection_start_date
        First ``run_date`` projected (``YYYY-MM-DD``); the range ends at ``NOW``.
    max_shards
        The deployment's shard cap; shard ids are projected over ``0..max_shards-1``.

    Returns
    -------
    dict
        Property name → value, without ``projection.enabled``.
    """
    properties: dict[str, str] = {}
    for column in spec.partition_columns:
        kind = projection_type(column)
        properties[f"projection.{column}.type"] = kind
        if kind == "date":
            properties[f"projection.{column}.format"] = "yyyy-MM-dd"
            properties[f"projection.{column}.range"] = f"{projection_start_date},NOW"
            properties[f"projection.{column}.interval"] = "1"
            properties[f"projection.{column}.interval.unit"] = "DAYS"
        elif kind == "enum":
            properties[f"projection.{column}.values"] = ",".join(statuses(spec))
        elif kind == "integer":
            properties[f"projection.{column}.range"] = f"0,{max_shards - 1}"
    return properties


# -- the Athena DDL -----------------------------------------------------------------------


def database_ddl() -> str:
    """``CREATE DATABASE IF NOT EXISTS ride_sim_analytics …``, with its comment line."""
    return (
        "-- The Glue database of the outcome datasets and the run-level tables.\n"
        f"CREATE DATABASE IF NOT EXISTS {ATHENA_DATABASE}\n"
        f"COMMENT '{_DATABASE_COMMENT}'\n"
    )


def table_ddl(
    spec: DatasetSpec,
    *,
    bucket: str,
    prefix: str,
    projection_start_date: str,
    max_shards: int,
) -> str:
    """``CREATE EXTERNAL TABLE IF NOT EXISTS`` of one dataset, with partition projection.

    Parameters
    ----------
    spec
        The dataset.
    bucket
        The results bucket (a checked S3 bucket name).
    prefix
        The base prefix, normalized (no surrounding slashes); ``""`` is the bucket root.
    projection_start_date
        First ``run_date`` projected, ``YYYY-MM-DD``.
    max_shards
        The deployment's shard cap (``>= 1``).

    Returns
    -------
    str
        The statement, ending in a newline and without a semicolon.
    """
    base = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"  # "" is the root
    template = keys.location_template(spec.name)
    properties = {
        "projection.enabled": "true",
        **partition_projection(
            spec, projection_start_date=projection_start_date, max_shards=max_shards
        ),
        "storage.location.template": f"{base}/{template}/",
        "classification": "parquet",
    }
    return "\n".join(
        (
            f"-- {spec.table_name}: the {spec.name} dataset (DESIGN §3.4), "
            "partition projection (ADR 0006).",
            "-- Queries must filter the run id column literally; "
            "per-point tables also the point index, run-level tables the generation.",
            f"CREATE EXTERNAL TABLE IF NOT EXISTS {spec.qualified_table_name} (",
            _listing(f"`{name}` {type_}" for name, type_ in spec.athena_columns),
            ")",
            "PARTITIONED BY (",
            _listing(f"`{column}` string" for column in spec.partition_columns),
            ")",
            "STORED AS PARQUET",
            f"LOCATION 's3://{bucket}/{keys.dataset_prefix(spec.name, prefix=prefix)}'",
            "TBLPROPERTIES (",
            _listing(f"'{name}' = '{value}'" for name, value in properties.items()),
            ")",
            "",
        )
    )


def _listing(items: Iterable[str]) -> str:
    return ",\n".join(f"    {item}" for item in items)


def render_ddl(
    *, bucket: str, prefix: str, projection_start_date: str, max_shards: int
) -> list[tuple[str, str]]:
    """Every DDL statement, ``(name, SQL)``, in the order to run them.

    Parameters
    ----------
    bucket, prefix, projection_start_date, max_shards
        As for :func:`table_ddl` (already checked: see
        :func:`sweeplib.query.bootstrap.ddl_statements`).

    Returns
    -------
    list of (str, str)
        ``("00_database.sql", …)`` then ``("NN_<table>.sql", …)`` per dataset, in
        registry order.
    """
    statements = [("00_database.sql", database_ddl())]
    for number, spec in enumerate(DATASET_SPECS.values(), start=1):
        sql = table_ddl(
            spec,
            bucket=bucket,
            prefix=prefix,
            projection_start_date=projection_start_date,
            max_shards=max_shards,
        )
        statements.append((f"{number:02d}_{spec.table_name}.sql", sql))
    return statements


# -- Terraform ----------------------------------------------------------------------------


def terraform_tables() -> dict[str, Any]:
    """The Glue tables' facts for ``glue.tf``: what :data:`TERRAFORM_FILE` holds.

    Deployment values (bucket, prefix, projection start, shard cap) are Terraform
    variables, so the projection is given by type per partition key; ``glue.tf``
    turns types and variables into table properties.

    Returns
    -------
    dict
        ``{"//": <how to regenerate>, "database", "schema_version", "tables": {table:
        {"dataset", "columns": [{"name", "type"}], "partition_keys", "projections":
        {key: type}, "statuses", "location_template"}}}``, tables in registry order.
    """
    return {
        "//": f"Rendered from sweeplib.storage.schemas; do not edit. Regenerate: {_REGENERATE}",
        "database": ATHENA_DATABASE,
        "schema_version": SCHEMA_VERSION,
        "tables": {
            spec.table_name: {
                "dataset": spec.name,
                "columns": [{"name": name, "type": type_} for name, type_ in spec.athena_columns],
                "partition_keys": list(spec.partition_columns),
                "projections": {c: projection_type(c) for c in spec.partition_columns},
                "statuses": list(statuses(spec)),
                "location_template": keys.location_template(spec.name),
            }
            for spec in DATASET_SPECS.values()
        },
    }


def render_terraform_json() -> str:
    """:func:`terraform_tables` as the exact text of :data:`TERRAFORM_FILE`.

    Indented JSON with every object or list of scalars on one line when it fits in 100
    columns — one column per line — so a registry change is a one-line diff.
    """
    return _json(terraform_tables(), 0) + "\n"


def _json(value: Any, depth: int, lead: int = 0) -> str:
    """``value`` as JSON at ``depth``; ``lead`` characters precede it on its first line."""
    inline = json.dumps(value, ensure_ascii=False)
    members = value.values() if isinstance(value, dict) else value
    if not isinstance(value, dict | list) or (
        not any(isinstance(member, dict | list) for member in members)
        and lead + len(inline) <= _JSON_WIDTH
    ):
        return inline
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        items = []
        for key, member in value.items():
            head = f"{inner}{json.dumps(key, ensure_ascii=False)}: "
            items.append(head + _json(member, depth + 1, len(head)))
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [inner + _json(member, depth + 1, len(inner)) for member in value]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sweeplib.query.ddl --terraform``: print the Terraform rendering."""
    parser = argparse.ArgumentParser(
        prog="python -m sweeplib.query.ddl",
        description=f"Render the Glue tables from the dataset registry: {_REGENERATE}",
    )
    parser.add_argument(
        "--terraform", action="store_true", required=True, help=f"print {TERRAFORM_FILE}"
    )
    parser.parse_args(argv)
    sys.stdout.write(render_terraform_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
