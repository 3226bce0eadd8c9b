"""Create the Athena database and its tables (six datasets, four run-level tables): render the
DDL, run it in Athena.

The statements are rendered from the dataset registry by :mod:`sweeplib.query.ddl`
(partition projection, ADR 0006; rendered rather than written, ADR 0007) for one
deployment's bucket, prefix, projection start date and shard cap; Athena's own
``${run_date}``-style placeholders in ``storage.location.template`` are left for Athena.
Statements run in order; the first one that does not succeed stops the bootstrap with
its query execution id and reason.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sweeplib.errors import BootstrapFailed, ConfigurationError
from sweeplib.query.ddl import render_ddl
from sweeplib.storage import keys

__all__ = ["BootstrapFailed", "StatementResult", "apply_ddl", "ddl_statements"]


@dataclass(frozen=True)
class StatementResult:
    statement: str
    execution_id: str
    state: str


def ddl_statements(
    *,
    bucket: str,
    prefix: str = keys.DEFAULT_PREFIX,
    projection_start_date: str = "2026-01-01",
    max_shards: int = 1_000,
) -> list[tuple[str, str]]:
    """The DDL statements for one deployment, ``(name, SQL)``, in the order to run them.

    Parameters
    ----------
    bucket
        The results bucket.
    prefix
        The results prefix (surrounding slashes are dropped).
    projection_start_date
        First ``run_date`` the tables project, ``YYYY-MM-DD``.
    max_shards
        The deployment's ``MAX_SHARDS``: shard ids are projected over ``0..max_shards-1``.

    Returns
    -------
    list of (str, str)
        ``("00_database.sql", …)``, then ``("01_sweep_shard_outcomes.sql", …)`` … one
        per dataset (see :func:`sweeplib.query.ddl.render_ddl`).

    Raises
    ------
    ConfigurationError
        A bad bucket, date or shard cap.
    InvalidRequest
        A bad prefix (see :func:`sweeplib.storage.keys.normalize_prefix`).
    """
    if not bucket or "/" in bucket:
        raise ConfigurationError("bucket", f"must be an S3 bucket name, got {bucket!r}")
    try:
        dt.date.fromisoformat(projection_start_date)
    except ValueError:
        raise ConfigurationError(
            "projection_start_date", f"must be YYYY-MM-DD, got {projection_start_date!r}"
        ) from None
    if max_shards < 1:
        raise ConfigurationError("max_shards", f"must be >= 1, got {max_shards}")
    return render_ddl(
        bucket=bucket,
        prefix=keys.normalize_prefix(prefix),
        projection_start_date=projection_start_date,
        max_shards=max_shards,
    )


def apply_ddl(
    statements: list[tuple[str, str]],
    *,
    athena: Any,
    workgroup: str = "primary",
    output_location: str | None = None,
    poll_s: float = 1.0,
    timeout_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
    on_result: Callable[[StatementResult], None] | None = None,
) -> list[StatementResult]:
    """Run the statements one by one with an Athena client; stop at the first failure.

    Raises
    ------
    BootstrapFailed
        Naming the statement, its query execution id and Athena's reason.
    """
    results = []
    for name, sql in statements:
        execution_id = _start(athena, sql, workgroup, output_location)
        state, reason = _wait(athena, execution_id, poll_s, timeout_s, sleep)
        result = StatementResult(name, execution_id, state)
        if on_result is not None:
            on_result(result)
        if state != "SUCCEEDED":
            raise BootstrapFailed(name, execution_id, state, reason)
        results.append(result)
    return results


def _start(athena: Any, sql: str, workgroup: str, output_location: str | None) -> str:
    request: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if output_location:
        request["ResultConfiguration"] = {"OutputLocation": output_location}
    return str(athena.start_query_execution(**request)["QueryExecutionId"])


def _states(athena: Any, execution_id: str) -> Iterator[tuple[str, str]]:
    while True:
        status = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"][
            "Status"
        ]
        yield status["State"], status.get("StateChangeReason", "")


def _wait(
    athena: Any,
    execution_id: str,
    poll_s: float,
    timeout_s: float,
    sleep: Callable[[float], None],
) -> tuple[str, str]:
    waited = 0.0
    for state, reason in _states(athena, execution_id):
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return state, reason
        if waited >= timeout_s:
            return "TIMED_OUT", f"still {state} after {timeout_s:g} s"
        sleep(poll_s)
        waited += poll_s
    raise AssertionError("unreachable")  # pragma: no cover
