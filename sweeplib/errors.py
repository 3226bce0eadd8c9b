"""The one error tree of sweeplib: every error class the library raises on purpose lives here.

::

    SweepError                                  code
    ├── InvalidRequest(field, reason)            invalid_request   bad request, CLI, notebook input
    │   ├── PlanTooLarge(field, reason)          plan_too_large    valid values, but over a limit
    │   └── ScenarioError(field, reason)         invalid_scenario  kernel parameters it cannot run
    ├── InvalidShardMessage(field, reason)       invalid_message   a queue message is malformed
    │   └── MessageRefused(run_id, shard_id, field, reason)
    │                                            message_refused   not a message of a submitted run
    ├── RunConflict(run_id, reason)              run_conflict      run id taken by another request
    ├── ShardFailed(run_id, shard_id, error_code, cause)
    │                                            shard_failed      its failure record is written
    ├── StorageError(key, reason)                storage_error
    │   ├── ObjectNotFound(key)                  not_found
    │   └── PreconditionFailed(key)              precondition_failed
    ├── SchemaMismatch(dataset, reason)          schema_mismatch   rows that do not fit a dataset
    ├── QueryError(reason)                       query_error
    │   └── BootstrapFailed(statement, execution_id, state, reason)
    │                                            bootstrap_failed  an Athena DDL statement failed
    ├── ConfigurationError(name, reason)         configuration_error
    ├── ReportFailed(notebook, cell_index, …)    report_failed     a report notebook's cell raised
    ├── ApiError(method, url, status, error, message)
    │   │                                        api_error         a deployed API's other answers
    │   └── SubmitIncomplete(…, run_id, dispatched, not_dispatched)
    │                                            dispatch_incomplete  submit again to finish
    ├── ApiUnreachable(url, reason)              api_unreachable   no HTTP answer at all
    └── WaitTimedOut(run_id, timeout_s, status)  wait_timed_out    shards missing at a deadline

Each class carries its identifiers as attributes and a stable ``code`` (the API's error
bodies carry it, :mod:`sweeplib.wire` maps codes to HTTP statuses and back). HTTP
status codes are chosen in exactly one place, that module; library code only raises.
This module imports nothing from sweeplib: every layer, the kernel included, may use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pathlib import Path

    from sweeplib.status import RunStatus

__all__ = [
    "ApiError",
    "ApiUnreachable",
    "BootstrapFailed",
    "ConfigurationError",
    "InvalidRequest",
    "InvalidShardMessage",
    "MessageRefused",
    "ObjectNotFound",
    "PlanTooLarge",
    "PreconditionFailed",
    "QueryError",
    "ReportFailed",
    "RunConflict",
    "ScenarioError",
    "SchemaMismatch",
    "ShardFailed",
    "StorageError",
    "SubmitIncomplete",
    "SweepError",
    "WaitTimedOut",
]


class SweepError(Exception):
    """Root of every error sweeplib raises on purpose."""

    #: A stable, machine-readable name of the error's kind.
    code: ClassVar[str] = "internal_error"


class InvalidRequest(SweepError):
    """A request field is invalid. ``field`` is a dotted path, e.g. ``dimensions.num_riders[2]``."""

    code = "invalid_request"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PlanTooLarge(InvalidRequest):
    """The request is well formed but its plan exceeds a configured limit."""

    code = "plan_too_large"


class ScenarioError(InvalidRequest, ValueError):
    """Kernel parameters the simulation cannot run; ``field`` names a ``ScenarioParams``
    field (``pricing_config.commission_rate``…). Also a ``ValueError``."""

    code = "invalid_scenario"


class InvalidShardMessage(SweepError):
    """A shard message is malformed (undecodable, missing fields, inconsistent bounds)."""

    code = "invalid_message"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MessageRefused(InvalidShardMessage):
    """A well-formed shard message that is not the message the planner made for that shard
    of a submitted run (unknown run id, shard outside the plan, any field changed)."""

    code = "message_refused"

    def __init__(self, run_id: str, shard_id: int, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.run_id = run_id
        self.shard_id = shard_id


class RunConflict(SweepError):
    """A run id is already taken by a different request (another request fingerprint)."""

    code = "run_conflict"

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"run {run_id}: {reason}")
        self.run_id = run_id
        self.reason = reason


class ShardFailed(SweepError):
    """A shard did not complete; its failure outcome record has been written (if possible)."""

    code = "shard_failed"

    def __init__(self, run_id: str, shard_id: int, error_code: str, cause: str) -> None:
        super().__init__(f"shard {shard_id} of run {run_id} failed ({error_code}): {cause}")
        self.run_id = run_id
        self.shard_id = shard_id
        self.error_code = error_code
        self.cause = cause


class StorageError(SweepError):
    """An object store operation failed."""

    code = "storage_error"

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class ObjectNotFound(StorageError):
    """No object is stored under ``key``."""

    code = "not_found"

    def __init__(self, key: str) -> None:
        super().__init__(key, "no such object")


class PreconditionFailed(StorageError):
    """A conditional create found the object already there."""

    code = "precondition_failed"

    def __init__(self, key: str) -> None:
        super().__init__(key, "object already exists (conditional write refused)")


class SchemaMismatch(SweepError):
    """Rows or columns do not fit a dataset's schema (a bug in what produced them, not in
    the store); ``dataset`` names the dataset."""

    code = "schema_mismatch"

    def __init__(self, dataset: str, reason: str) -> None:
        super().__init__(f"{dataset}: {reason}")
        self.dataset = dataset
        self.reason = reason


class QueryError(SweepError):
    """A query could not be transpiled or executed."""

    code = "query_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BootstrapFailed(QueryError):
    """An Athena DDL statement did not succeed; nothing after it was run."""

    code = "bootstrap_failed"

    def __init__(self, statement: str, execution_id: str, state: str, reason: str) -> None:
        super().__init__(f"{statement}: {state} (query execution {execution_id}): {reason}")
        self.statement = statement
        self.execution_id = execution_id
        self.state = state


class ConfigurationError(SweepError):
    """Required configuration (environment variable, option) is missing or invalid."""

    code = "configuration_error"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class ReportFailed(SweepError):
    """A cell of a report notebook raised.

    Attributes
    ----------
    notebook : Path
        The executed notebook that was written (it shows the error).
    cell_index : int
        The cell's position in the executed notebook (0-based, papermill's injected
        parameters cell included).
    execution_count : int or None
        The number Jupyter shows next to the cell.
    ename, evalue : str
        The exception's type and message.
    source : str
        The cell's line that raised (its first line when the traceback does not say).
    """

    code = "report_failed"

    def __init__(
        self,
        notebook: Path,
        cell_index: int,
        execution_count: int | None,
        ename: str,
        evalue: str,
        source: str,
    ) -> None:
        super().__init__(
            f"cell {cell_index} (In [{execution_count}]) raised {ename}: {evalue}\n"
            f"  at: {source}\n  the executed notebook (with the error) is {notebook}"
        )
        self.notebook = notebook
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.ename = ename
        self.evalue = evalue
        self.source = source


class ApiError(SweepError):
    """A deployed API answered with a status there is no more specific error for.

    Attributes
    ----------
    method, url : str
        The request.
    status : int
        The HTTP status code.
    error : str or None
        The ``error`` field of the answer (``"storage_error"``, ``"dispatch_disabled"``…);
        ``None`` for answers API Gateway gives itself (403 access denied, 429, 504).
    message : str
        The answer's ``message`` (or the start of a non-JSON body).
    """

    code = "api_error"

    def __init__(self, method: str, url: str, status: int, error: str | None, message: str):
        label = f"{status} {error}" if error else str(status)
        super().__init__(f"{method} {url} answered {label}: {message}")
        self.method = method
        self.url = url
        self.status = status
        self.error = error
        self.message = message


class SubmitIncomplete(ApiError):
    """503 ``dispatch_incomplete``: the run is accepted but some shards were not enqueued.

    Submitting the same request again enqueues exactly the missing ones (the API keeps a
    dispatch ledger), so this is safe to retry.

    Attributes
    ----------
    run_id : str
    dispatched, not_dispatched : tuple of int
        Shard ids enqueued so far, and those still to enqueue.
    """

    code = "dispatch_incomplete"

    def __init__(
        self,
        url: str,
        message: str,
        *,
        run_id: str,
        dispatched: tuple[int, ...],
        not_dispatched: tuple[int, ...],
    ) -> None:
        super().__init__("POST", url, 503, "dispatch_incomplete", message)
        self.run_id = run_id
        self.dispatched = dispatched
        self.not_dispatched = not_dispatched


class ApiUnreachable(SweepError):
    """No HTTP answer: DNS, connection, TLS or timeout failure. ``url`` is the request's."""

    code = "api_unreachable"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class WaitTimedOut(SweepError):
    """Watching a run gave up at its deadline; ``status`` is the last one read."""

    code = "wait_timed_out"

    def __init__(self, run_id: str, timeout_s: float, status: RunStatus) -> None:
        super().__init__(
            f"run {run_id}: {len(status.missing)} of {status.planned} shard(s) still have "
            f"no outcome after {timeout_s:g} s"
        )
        self.run_id = run_id
        self.timeout_s = timeout_s
        self.status = status
