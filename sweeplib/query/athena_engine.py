"""``AthenaQueryEngine``: the same SQL, run by Athena through awswrangler.

Two functions cross the boundary: :func:`_read_sql_query` (``wr.athena.read_sql_query``,
queries with rows) and :func:`_start_query_execution` (``wr.athena.start_query_execution``
waiting for the end: statements without rows, such as consolidation's ``UNLOAD``).
Tests replace them and assert the SQL text and options they receive; moto's Athena runs
no SQL, so nothing else could check them offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from sweeplib.errors import ConfigurationError, QueryError

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped, unused-ignore]
    import pandas

__all__ = ["AthenaQueryEngine"]

DEFAULT_DATABASE = "ride_sim_analytics"


def _read_sql_query(sql: str, **options: Any) -> pandas.DataFrame:
    """The single awswrangler call (one Athena query, results as a DataFrame)."""
    import awswrangler as wr  # type: ignore[import-untyped, unused-ignore]

    return wr.athena.read_sql_query(sql, **options)


def _start_query_execution(sql: str, **options: Any) -> dict[str, Any]:
    """The single awswrangler call for a statement: run it, wait, return its execution."""
    import awswrangler as wr  # type: ignore[import-untyped, unused-ignore]

    result: dict[str, Any] = wr.athena.start_query_execution(sql, wait=True, **options)
    return result


class AthenaQueryEngine:
    """Run Athena-dialect SQL in Athena (the ``QueryEngine`` port).

    Parameters
    ----------
    database
        Glue database of the tables (default ``ride_sim_analytics``).
    workgroup
        Athena workgroup; its configured result location is used unless
        ``output_location`` is given.
    output_location
        ``s3://…`` prefix for query results.
    boto3_session
        Credentials and region (default: boto3's default chain).
    """

    def __init__(
        self,
        *,
        database: str = DEFAULT_DATABASE,
        workgroup: str = "primary",
        output_location: str | None = None,
        boto3_session: boto3.Session | None = None,
    ) -> None:
        if not database:
            raise ConfigurationError("database", "must be a Glue database name")
        if output_location is not None and not output_location.startswith("s3://"):
            raise ConfigurationError("output_location", f"must be s3://…, got {output_location!r}")
        self.database = database
        self.workgroup = workgroup
        self.output_location = output_location
        self.boto3_session = boto3_session

    def options(self) -> dict[str, Any]:
        """The options every query is sent with (besides its SQL)."""
        options: dict[str, Any] = {
            "database": self.database,
            "workgroup": self.workgroup,
            "ctas_approach": False,  # plain SELECT: no temporary tables to clean up
            "boto3_session": self.boto3_session,
        }
        if self.output_location is not None:
            options["s3_output"] = self.output_location
        return options

    #: Most points one per-point query names (Athena's query text is limited, ADR 0006).
    point_chunk: int | None = 20_000

    def statement(self, sql: str) -> dict[str, Any]:
        """Run a statement that returns no rows (e.g. ``UNLOAD``) and wait for it.

        Raises
        ------
        QueryError
            Athena failed; the message keeps the SQL.
        """
        options = {k: v for k, v in self.options().items() if k != "ctas_approach"}
        try:
            return _start_query_execution(sql, **options)
        except Exception as error:  # awswrangler/botocore errors: report, keep the SQL
            raise QueryError(f"Athena statement failed: {error}\n-- SQL:\n{sql}") from error

    def frame(self, sql: str) -> pandas.DataFrame:
        """Run ``sql`` (Athena dialect) and return a pandas DataFrame."""
        try:
            return _read_sql_query(sql, **self.options())
        except Exception as error:  # awswrangler/botocore errors: report, keep the SQL
            raise QueryError(f"Athena query failed: {error}\n-- SQL:\n{sql}") from error

    def execute(self, sql: str, *, dialect: Literal["athena", "duckdb"] = "athena") -> pa.Table:
        """Run ``sql`` and return its rows (the ``QueryEngine`` port)."""
        if dialect != "athena":
            raise QueryError("the Athena engine runs Athena SQL only")
        return pa.Table.from_pandas(self.frame(sql), preserve_index=False)
