"""Create the Athena database and the six tables from the shipped DDL files.

The DDL (``sweeplib/query/sql/ddl/NN_*.sql``) is Athena SQL with a few deployment
placeholders — ``${bucket}``, ``${prefix}``, ``${projection_start_date}``,
``${max_shard_id}`` — rendered here; Athena's own ``${run_date}``-style placeholders in
``storage.location.template`` are left alone. Statements run in file order; the first
one that does not succeed stops the bootstrap with its query execution id and reason.
"""

from __future__ import annotations

import datetime as dt
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sweeplib.errors import ConfigurationError, QueryError
from sweeplib.storage import keys

__all__ = ["BootstrapFailed", "StatementResult", "apply_ddl", "ddl_statements"]

_DEPLOYMENT_PLACEHOLDERS = ("bucket", "prefix", "projection_start_date", "max_shard_id")


class BootstrapFailed(QueryError):
    """A DDL statement did not succeed; nothing after it was run."""

    def __init__(self, statement: str, execution_id: str, state: str, reason: str) -> None:
        super().__init__(f"{statement}: {state} (query execution {execution_id}): {reason}")
        self.statement = statement
        self.execution_id = execution_id
        self.state = state


@dataclass(frozen=True)
class StatementResult:
    statement: str
    execution_id: str
    state: str


def _ddl_files() -> list[tuple[str, str]]:
    folder = resources.files("sweeplib.query") / "sql" / "ddl"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text()) for name in names]


def ddl_statements(
    *,
    bucket: str,
    prefix: str = keys.DEFAULT_PREFIX,
    projection_start_date: str = "2026-01-01",
    max_shards: int = 1_000,
) -> list[tuple[str, str]]:
    """The rendered DDL statements, ``(file name, SQL)``, in the order to run them.

    Raises
    ------
    ConfigurationError
        A bad bucket, prefix, date or shard cap.
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
    values = {
        "bucket": bucket,
        "prefix": keys.normalize_prefix(prefix),
        "projection_start_date": projection_start_date,
        "max_shard_id": str(max_shards - 1),
    }
    return [(name, string.Template(text).safe_substitute(values)) for name, text in _ddl_files()]


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
