"""``AthenaStatements``: Athena statements started and awaited with boto3 alone.

The consolidation that a run's completion starts runs inside the Lambda (ADR 0022),
whose artifact has no awswrangler or pandas. These are the few Athena calls it needs:
start a statement (:meth:`AthenaStatements.start`, one ``StartQueryExecution``), read its
state (:meth:`AthenaStatements.state`, one ``GetQueryExecution``), and run several at
once and wait for all (:meth:`AthenaStatements.statements`). boto3 is imported only
when a client is first needed (through :func:`sweeplib.aws.client`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

from sweeplib.errors import QueryError

__all__ = ["AthenaStatements", "start_query_request"]

DEFAULT_DATABASE: Final = "ride_sim_analytics"
_DONE: Final = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def start_query_request(
    sql: str, *, database: str, workgroup: str | None, output_location: str | None
) -> dict[str, Any]:
    """The ``StartQueryExecution`` parameters of one statement (pure)."""
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
    }
    if workgroup:
        request["WorkGroup"] = workgroup
    if output_location:
        request["ResultConfiguration"] = {"OutputLocation": output_location}
    return request


class AthenaStatements:
    """Run Athena statements that return no rows (``UNLOAD``), several at a time.

    Parameters
    ----------
    workgroup, output_location
        Where Athena runs them and writes its query metadata (one is needed unless the
        workgroup enforces a location).
    database
        Glue database of the tables (default ``ride_sim_analytics``).
    client
        An Athena client (default: :func:`sweeplib.aws.client` ``("athena")``, made on
        first use).
    concurrent
        Most statements running at once (Athena queues the rest of an account's DML
        beyond its quota anyway; this keeps the Lambda's polling bounded).
    poll_s, sleep, clock
        Polling interval, and the sleep and monotonic clock used (tests pass fakes).
    deadline
        A ``clock()`` value after which waiting stops with ``QueryError`` (the statements
        keep running in Athena).
    """

    def __init__(
        self,
        *,
        workgroup: str | None = None,
        output_location: str | None = None,
        database: str = DEFAULT_DATABASE,
        client: Any = None,
        concurrent: int = 20,
        poll_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
    ) -> None:
        self._workgroup = workgroup
        self._output_location = output_location
        self._database = database
        self._client = client
        self._concurrent = max(1, concurrent)
        self._poll_s = poll_s
        self._sleep = sleep
        self._clock = clock
        self._deadline = deadline

    def _athena(self) -> Any:
        if self._client is None:
            from sweeplib import aws

            self._client = aws.client("athena")
        return self._client

    def start(self, sql: str) -> str:
        """Start one statement; its query execution id."""
        request = start_query_request(
            sql,
            database=self._database,
            workgroup=self._workgroup,
            output_location=self._output_location,
        )
        try:
            response = self._athena().start_query_execution(**request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise QueryError(
                f"Athena did not start the statement: {error}\n-- SQL:\n{sql}"
            ) from error
        return str(response["QueryExecutionId"])

    def state(self, query_id: str) -> tuple[str, str]:
        """``(state, reason)`` of a query execution (``QUEUED``, ``RUNNING``, ``SUCCEEDED``…)."""
        try:
            response = self._athena().get_query_execution(QueryExecutionId=query_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise QueryError(f"Athena query {query_id}: state unknown: {error}") from error
        status = response["QueryExecution"]["Status"]
        return str(status["State"]), str(status.get("StateChangeReason", ""))

    def statement(self, sql: str) -> str:
        """Run one statement and wait for it (the consolidation's ``StatementRunner``)."""
        self.statements([sql])
        return sql

    def statements(self, sqls: Sequence[str]) -> list[str]:
        """Run ``sqls``, at most ``concurrent`` at a time, and wait until all succeeded.

        Returns
        -------
        list of str
            Their query execution ids, in order.

        Raises
        ------
        QueryError
            A statement failed or was cancelled (no new one is started; those running
            are left to finish), or the deadline passed.
        """
        pending = list(enumerate(sqls))
        running: dict[str, int] = {}
        ids: list[str | None] = [None] * len(sqls)
        while pending or running:
            while pending and len(running) < self._concurrent:
                index, sql = pending.pop(0)
                query_id = self.start(sql)
                ids[index] = query_id
                running[query_id] = index
            for query_id, index in list(running.items()):
                state, reason = self.state(query_id)
                if state not in _DONE:
                    continue
                del running[query_id]
                if state != "SUCCEEDED":
                    raise QueryError(
                        f"Athena statement {state.lower()} ({query_id}): {reason}\n"
                        f"-- SQL:\n{sqls[index]}"
                    )
            if running:
                if self._deadline is not None and self._clock() > self._deadline:
                    raise QueryError(
                        f"{len(running) + len(pending)} Athena statement(s) not finished by "
                        "the deadline; running: " + ", ".join(running)
                    )
                self._sleep(self._poll_s)
        return [query_id for query_id in ids if query_id is not None]
