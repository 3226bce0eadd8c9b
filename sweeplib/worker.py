"""Execute one shard: run its points, write the datasets, commit with the outcome record.

The same function runs in the local process pool and in the Lambda's SQS path.

Exactly-once outcomes from at-least-once delivery:

* every key is a pure function of the message, and the kernel and the Parquet writer
  are deterministic, so a repeated delivery rewrites byte-identical data objects;
* the shard's **success record is written last, as a conditional create**: it is the
  commit marker, and a shard whose marker exists is skipped, not re-run;
* on any failure a **failure record** is written (overwriting an earlier failure) and
  :class:`~sweeplib.errors.ShardFailed` is raised. A failure record never replaces a
  success record (different keys) and status logic treats success as final.

Only submitted shards run: :func:`execute_shard_body` (the queue's entry point, the
Lambda's SQS path) checks that a message **equals the message the
planner makes for that shard of the run's submission record** (read once per run and
container) and refuses anything else — an unknown run id, a shard outside the plan, a
changed range, seed, fingerprint, date or value — with
:class:`~sweeplib.errors.MessageRefused`, writing nothing (the queue retries it, then
moves it to its dead-letter queue).

Data objects of a shard that failed or was interrupted part-way may exist for the
points it finished; they are complete objects (stores write atomically), carry no
success record, and are overwritten identically when the shard is re-run. Analysis
counts a shard's points only when its success record exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import NoReturn

from sweeplib.contracts import (
    STATUS_FAILURE,
    STATUS_SUCCESS,
    EffectiveParametersRecord,
    ShardMessage,
    ShardOutcomeRecord,
    format_event_time,
)
from sweeplib.errors import (
    MessageRefused,
    ObjectNotFound,
    PreconditionFailed,
    SchemaMismatch,
    ShardFailed,
    StorageError,
)
from sweeplib.experiments import PointRun, simulate_point
from sweeplib.planning import (
    ShardPlan,
    SweepPoint,
    compute_shard_plan,
    shard_message,
    shard_points,
)
from sweeplib.storage import keys
from sweeplib.storage.keys import RunAddress
from sweeplib.storage.parquet import encode_rows, encode_table, table_from_columns
from sweeplib.storage.schemas import (
    EFFECTIVE_PARAMETERS_SCHEMA,
    SHARD_METRICS_SCHEMA,
    SHARD_OUTCOMES_SCHEMA,
    SNAPSHOT_COUNTS_SCHEMA,
    TRIP_DATA_SCHEMA,
)
from sweeplib.storage.store import ObjectStore
from sweeplib.submissions import RECORD_LIMITS, Submission, is_cancelled, load_submission

__all__ = [
    "ERROR_CODES",
    "INJECTED_FAILURE_MESSAGE",
    "ShardResult",
    "execute_shard",
    "execute_shard_body",
    "verify_message",
]

log = logging.getLogger(__name__)

#: The ``error_code`` values a failure record can carry.
ERROR_CODES: dict[str, str] = {
    "injected_failure": "the shard is listed in the request's failure_injection_shards",
    "timeout": "the shard did not finish before the function's deadline (Lambda timeout)",
    "cancelled": "the run was cancelled before or while the shard ran (rerun resumes it)",
    "simulation_error": "the simulation kernel raised an error",
    "schema_mismatch": "the kernel's outputs do not fit a dataset's schema (a bug)",
    "storage_error": "an object could not be written to the store",
    "internal_error": "an unexpected error in the worker",
}
INJECTED_FAILURE_MESSAGE = "Injected shard failure for verification"
_CANCELLED = "the run was cancelled; `sweep rerun` resumes it"

PointCallback = Callable[[int, int], None]  # (shard_id, point_index) after each point


@dataclass(frozen=True)
class ShardResult:
    """What one call to :func:`execute_shard` did.

    ``status`` is ``"success"`` (ran and committed), ``"skipped"`` (already committed) or
    ``"cancelled"`` (the run is cancelled: a ``cancelled`` failure record was written and
    the rest of the shard was not run).
    ``kernel_seconds`` is time inside the simulation, ``io_seconds`` time spent
    encoding and writing objects.
    """

    run_id: str
    shard_id: int
    status: str
    points_processed: int
    outcome_key: str
    kernel_seconds: float = 0.0
    io_seconds: float = 0.0
    wall_seconds: float = 0.0


class _Failure(Exception):
    """Internal: a classified failure on its way to the failure record."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def execute_shard(
    message: ShardMessage,
    store: ObjectStore,
    now: dt.datetime,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    on_point: PointCallback | None = None,
    deadline: float | None = None,
) -> ShardResult:
    """Run every point of one shard and commit it.

    Parameters
    ----------
    message
        The shard to run (already decoded and validated).
    store
        Where the datasets go.
    now
        The attempt's time (timezone-aware); it becomes the outcome record's
        ``event_time``. The run date comes from the message, never from ``now``.
    prefix
        Base prefix of every key.
    on_point
        Called after each point is written (progress reporting).
    deadline
        A :func:`time.monotonic` time by which the shard must have finished or failed
        (the Lambda's deadline less a margin). Past it, the shard stops — between points,
        or inside one through ``SIGALRM`` when called on the main thread — and writes a
        ``timeout`` failure record, so it shows as failed rather than missing.

    Returns
    -------
    ShardResult

    Raises
    ------
    ShardFailed
        After writing the failure record (or failing to, which the cause says).
    """
    started = time.perf_counter()
    address = RunAddress.of(message.run_date, message.run_id, prefix=prefix)
    success_key = address.shard_outcome_key(STATUS_SUCCESS, message.shard_id)
    try:
        if store.exists(success_key):
            log.info(
                "shard %s of run %s already committed; skipping",
                message.shard_id,
                message.run_id,
                extra={"run_id": message.run_id, "shard_id": message.shard_id, "event": "skip"},
            )
            return ShardResult(message.run_id, message.shard_id, "skipped", 0, success_key)
        return _run_and_commit(
            message, store, now, address, success_key, on_point, started, deadline, prefix
        )
    except Exception as error:  # every failure gets its record, then is re-raised
        failure = _classify(error)
        if failure.error_code == "cancelled":  # recorded, and not a failure to retry
            _write_failure_record(
                store,
                address,
                shard_id=message.shard_id,
                start_index=message.start_index,
                end_index_exclusive=message.end_index_exclusive,
                now=now,
                error_code=failure.error_code,
                error_message=failure.message,
            )
            return ShardResult(message.run_id, message.shard_id, "cancelled", 0, success_key)
        _write_failure_record(
            store,
            address,
            shard_id=message.shard_id,
            start_index=message.start_index,
            end_index_exclusive=message.end_index_exclusive,
            now=now,
            error_code=failure.error_code,
            error_message=failure.message,
        )
        raise ShardFailed(
            message.run_id, message.shard_id, failure.error_code, failure.message
        ) from error


def _classify(error: Exception) -> _Failure:
    if isinstance(error, _Failure):
        return error
    if isinstance(error, SchemaMismatch):
        return _Failure("schema_mismatch", str(error))
    if isinstance(error, StorageError):
        return _Failure("storage_error", str(error))
    return _Failure("internal_error", f"{type(error).__name__}: {error}")


def _run_and_commit(
    message: ShardMessage,
    store: ObjectStore,
    now: dt.datetime,
    address: RunAddress,
    success_key: str,
    on_point: PointCallback | None,
    started: float,
    deadline: float | None = None,
    prefix: str = keys.DEFAULT_PREFIX,
) -> ShardResult:
    def cancelled() -> bool:
        return is_cancelled(store, message.run_id, prefix=prefix)

    if cancelled():
        raise _Failure("cancelled", _CANCELLED)
    if message.shard_id in message.failure_injection_shards:
        raise _Failure("injected_failure", INJECTED_FAILURE_MESSAGE)
    with _deadline_alarm(deadline):
        kernel, io, first_metrics_key = _run_points(
            message, store, address, on_point, deadline, cancelled
        )
    committed = time.perf_counter()
    record = ShardOutcomeRecord(
        run_id=message.run_id,
        shard_id=message.shard_id,
        status=STATUS_SUCCESS,
        start_index=message.start_index,
        end_index_exclusive=message.end_index_exclusive,
        event_time=format_event_time(now),
        result_key=first_metrics_key,
        points_processed=message.end_index_exclusive - message.start_index,
        format="parquet",
    )
    try:
        store.put(
            success_key, encode_rows([record.as_row()], SHARD_OUTCOMES_SCHEMA), if_absent=True
        )
    except PreconditionFailed:
        # A concurrent delivery committed first; its data objects are byte-identical.
        log.info(
            "shard %s of run %s was committed concurrently by another delivery",
            message.shard_id,
            message.run_id,
            extra={"run_id": message.run_id, "shard_id": message.shard_id, "event": "raced"},
        )
    io += time.perf_counter() - committed
    return ShardResult(
        run_id=message.run_id,
        shard_id=message.shard_id,
        status="success",
        points_processed=record.points_processed or 0,
        outcome_key=success_key,
        kernel_seconds=kernel,
        io_seconds=io,
        wall_seconds=time.perf_counter() - started,
    )


def _run_points(
    message: ShardMessage,
    store: ObjectStore,
    address: RunAddress,
    on_point: PointCallback | None,
    deadline: float | None,
    cancelled: Callable[[], bool],
) -> tuple[float, float, str | None]:
    """Run and write every point; (kernel seconds, I/O seconds, first metrics key).

    Between points it stops at the deadline, or when the run was cancelled meanwhile.
    """
    kernel = io = 0.0
    first_metrics_key: str | None = None
    for done, point in enumerate(shard_points(message)):
        if deadline is not None and time.monotonic() >= deadline:
            raise _Failure("timeout", _timeout_message(done, message.size))
        if done and cancelled():
            raise _Failure("cancelled", _CANCELLED)
        point_started = time.perf_counter()
        try:
            run = simulate_point(point)
        except (ArithmeticError, ValueError, IndexError) as error:
            raise _Failure("simulation_error", f"point {point.index}: {error!r}") from error
        written = time.perf_counter()
        kernel += written - point_started
        metrics_key = _write_point(store, address, message.shard_id, point, run)
        io += time.perf_counter() - written
        first_metrics_key = first_metrics_key or metrics_key
        if on_point is not None:
            on_point(message.shard_id, point.index)
    return kernel, io, first_metrics_key


def _timeout_message(done: int, size: int) -> str:
    return (
        f"the shard did not finish before the function's deadline ({done} of {size} "
        "point(s) written); a redelivery runs it again"
    )


@contextlib.contextmanager
def _deadline_alarm(deadline: float | None) -> Iterator[None]:
    """Raise a ``timeout`` failure inside a long point when ``deadline`` passes.

    Only on the main thread (signals are delivered there) and where ``setitimer`` exists;
    elsewhere the deadline is checked between points only.
    """
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if deadline is None or not usable:
        yield
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Failure("timeout", _timeout_message(0, 0))

    def on_alarm(signum: int, frame: object) -> None:
        raise _Failure("timeout", "the shard did not finish before the function's deadline")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _write_point(
    store: ObjectStore, address: RunAddress, shard_id: int, point: SweepPoint, run: PointRun
) -> str:
    """Write one point's four objects; returns its shard_metrics key."""
    result, index = run.result, point.index
    parameters = EffectiveParametersRecord(
        run_id=address.run_id,
        shard_id=shard_id,
        point_index=index,
        status=STATUS_SUCCESS,
        parameter_fingerprint=run.parameter_fingerprint,
        effective_parameters_json=run.document_json,
        design_point=point.design_point,
        replicate=point.replicate,
        point_seed=point.seed,
    )
    metrics: dict[str, object] = {
        **result.metrics,
        "design_point": point.design_point,
        "replicate": point.replicate,
        "point_seed": point.seed,
    }
    metrics = {name: metrics[name] for name in SHARD_METRICS_SCHEMA.names}
    metrics_key = address.point_key("shard_metrics", STATUS_SUCCESS, shard_id, index)
    objects = {
        address.point_key("effective_parameters", STATUS_SUCCESS, shard_id, index): encode_rows(
            [parameters.as_row()], EFFECTIVE_PARAMETERS_SCHEMA
        ),
        address.point_key("trip_data", STATUS_SUCCESS, shard_id, index): encode_table(
            table_from_columns(result.trip_data, TRIP_DATA_SCHEMA)
        ),
        address.point_key("snapshot_counts", STATUS_SUCCESS, shard_id, index): encode_table(
            table_from_columns(result.snapshot_counts, SNAPSHOT_COUNTS_SCHEMA)
        ),
        metrics_key: encode_rows([metrics], SHARD_METRICS_SCHEMA),
    }
    for key, body in objects.items():
        store.put(key, body)
    return metrics_key


def _write_failure_record(
    store: ObjectStore,
    address: RunAddress,
    *,
    shard_id: int,
    start_index: int,
    end_index_exclusive: int,
    now: dt.datetime,
    error_code: str,
    error_message: str,
) -> None:
    record = ShardOutcomeRecord(
        run_id=address.run_id,
        shard_id=shard_id,
        status=STATUS_FAILURE,
        start_index=start_index,
        end_index_exclusive=end_index_exclusive,
        event_time=format_event_time(now),
        error_code=error_code,
        error_message=error_message,
    )
    key = address.shard_outcome_key(STATUS_FAILURE, shard_id)
    log.warning(
        "shard %s of run %s failed (%s): %s",
        shard_id,
        address.run_id,
        error_code,
        error_message,
        extra={
            "run_id": address.run_id,
            "shard_id": shard_id,
            "error_code": error_code,
            "event": "fail",
        },
    )
    try:
        store.put(key, encode_rows([record.as_row()], SHARD_OUTCOMES_SCHEMA))
    except StorageError as error:
        raise ShardFailed(
            address.run_id,
            shard_id,
            error_code,
            f"{error_message}; the failure record was not written: {error}",
        ) from error


def execute_shard_body(
    body: str | bytes,
    store: ObjectStore,
    now: dt.datetime,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    on_point: PointCallback | None = None,
    deadline: float | None = None,
) -> ShardResult:
    """Decode a queue message body, check it against its run's submission record, run it
    (``deadline`` as in :func:`execute_shard`).

    Raises
    ------
    InvalidShardMessage
        The body is not a shard message; nothing is written.
    MessageRefused
        The message is not the one the planner made for that shard of a submitted run
        (:func:`verify_message`); nothing is written.
    StorageError
        The run's submission record could not be read (a retry may succeed).
    ShardFailed
        The shard ran and failed; its failure record is written.
    """
    message = ShardMessage.from_json(body)
    verify_message(message, store, prefix=prefix)
    return execute_shard(message, store, now, prefix=prefix, on_point=on_point, deadline=deadline)


@dataclass(frozen=True)
class _AcceptedRun:
    submission: Submission
    plan: ShardPlan


# The accepted runs seen by this process (a Lambda container, a pool process), per store:
# a submission record never changes once written, so it is read once per run.
_ACCEPTED: MutableMapping[ObjectStore, dict[tuple[str, str], _AcceptedRun]] = (
    weakref.WeakKeyDictionary()
)
_ACCEPTED_LOCK = threading.Lock()


def _accepted_run(store: ObjectStore, run_id: str, prefix: str) -> _AcceptedRun | None:
    with _ACCEPTED_LOCK:
        found = _ACCEPTED.get(store, {}).get((prefix, run_id))
    if found is not None:
        return found
    try:
        submission = load_submission(store, run_id, prefix=prefix)
    except ObjectNotFound:
        return None  # not cached: a run is never dispatched before it is claimed
    run = _AcceptedRun(submission, compute_shard_plan(submission.request, RECORD_LIMITS))
    with _ACCEPTED_LOCK:
        _ACCEPTED.setdefault(store, {})[(prefix, run_id)] = run
    return run


def verify_message(
    message: ShardMessage, store: ObjectStore, *, prefix: str = keys.DEFAULT_PREFIX
) -> None:
    """Refuse a message that is not exactly the planner's message for its shard.

    The expected message is rebuilt from the run's submission record with the planner
    (:func:`sweeplib.planning.shard_message`), so whatever a message carries — today's
    fields or later ones — is covered without checking fields one by one.

    Raises
    ------
    MessageRefused
        Naming the first differing field; a ``message_refused`` warning is logged.
    StorageError
        The submission record could not be read.
    """
    run = _accepted_run(store, message.run_id, prefix)
    if run is None:
        _refuse(message, "run_id", "no run with this id was submitted")
    if not 0 <= message.shard_id < run.plan.shard_count:
        _refuse(message, "shard_id", f"is not a shard of the run's {run.plan.shard_count}")
    expected = shard_message(
        run.submission.request, run.plan, message.shard_id, run.submission.run_date
    ).to_json_dict()
    got = message.to_json_dict()
    differing = sorted(
        name for name in expected.keys() | got.keys() if expected.get(name) != got.get(name)
    )
    if differing:
        _refuse(
            message,
            differing[0],
            f"differs from the submitted run's message for shard {message.shard_id} "
            f"(fields {', '.join(differing)})",
        )


def _refuse(message: ShardMessage, field: str, reason: str) -> NoReturn:
    log.warning(
        "shard message refused: run %s shard %s: %s %s",
        message.run_id,
        message.shard_id,
        field,
        reason,
        extra={
            "run_id": message.run_id,
            "shard_id": message.shard_id,
            "field": field,
            "event": "message_refused",
            "security": True,
        },
    )
    raise MessageRefused(message.run_id, message.shard_id, field, reason)
