"""The use cases, each written once over the ports: submit, run locally, rerun, status, watch,
compact (consolidate a run into its run-level tables) and export (its points table).

The command line, the notebooks (:mod:`sweeplib.analysis`) and the Lambda handler are
thin callers of these functions (as in cosmicpython's ``service_layer/services.py``):
they parse their inputs, call one function here, and present its result. Everything
time- or environment-dependent — the clock, the store, the dispatcher — is passed in.

Submitting a request at time ``now`` (:func:`submit`):

1. plan its shards, once (the deployment's limits apply, the queue's message size
   among them);
2. **claim** the run id with its submission record (:mod:`sweeplib.submissions`): the
   run date is fixed there once; a repeated submission of the same request reuses it,
   a different request under the same run id is a :class:`~sweeplib.errors.RunConflict`;
3. make sure the ``run_context`` record exists — on every acceptance, not only the
   first: an acceptance stopped between the claim and this write (a store error, a
   timeout, a crash, Ctrl-C) is completed by the next submission of the same request,
   or by :func:`rerun`;
4. dispatch the shards no earlier submission claimed, after claiming them in the
   run's next **dispatch round** (a conditional create, :mod:`sweeplib.submissions`):
   re-submitting — even concurrently, even after a failed write — never hands a shard
   over twice, and a submission that could dispatch only part of its shards (the
   queue refused some) is completed by submitting it again (ADR 0018).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# Consolidation (DESIGN §3.7, ADR 0016): the use cases live in sweeplib.consolidation;
# the shells reach them here under their command names.
from sweeplib.consolidation import consolidate_athena as compact_in_athena
from sweeplib.consolidation import consolidate_local as compact
from sweeplib.consolidation import export_points
from sweeplib.contracts import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    Limits,
    ShardMessage,
    SweepRequest,
    canonical_json,
    sha256_hex,
)
from sweeplib.dispatch import Dispatcher, DispatchReport
from sweeplib.errors import InvalidRequest, PreconditionFailed, StorageError, WaitTimedOut
from sweeplib.planning import (
    ShardPlan,
    compute_shard_plan,
    run_context_record,
    shard_message,
)
from sweeplib.provenance import Provenance, current_provenance
from sweeplib.status import RunStatus, run_status
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore
from sweeplib.submissions import (
    RECORD_LIMITS,
    Submission,
    claim_dispatch_round,
    claim_run,
    load_submission,
    read_dispatch_state,
    record_refused_shards,
    write_cancel,
)

if TYPE_CHECKING:
    from sweeplib.consolidation import Consolidation
    from sweeplib.local import RunSummary

__all__ = [
    "Acceptance",
    "LocalRun",
    "Rerun",
    "cancel",
    "compact",
    "compact_in_athena",
    "ensure_run_context",
    "export_points",
    "messages_for",
    "rerun",
    "rerun_key",
    "run_local",
    "status",
    "submit",
    "utc_now",
    "watch",
]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware (UTC): the clock the shells pass in."""
    return dt.datetime.now(dt.UTC)


# -- submit ----------------------------------------------------------------------------


def ensure_run_context(
    store: ObjectStore, submission: Submission, plan: ShardPlan, *, prefix: str
) -> bool:
    """Write the run's ``run_context`` record unless it exists; True when written now.

    The record is a pure function of the submission record (its request, plan and
    source), so writing it again after an interrupted acceptance gives the same bytes.
    """
    address = keys.RunAddress.of(submission.run_date, submission.run_id, prefix=prefix)
    key = address.run_context_key()
    if store.exists(key):
        return False
    from sweeplib.storage.parquet import encode_rows  # pyarrow: only when accepting
    from sweeplib.storage.schemas import RUN_CONTEXT_SCHEMA

    provenance = submission.provenance or current_provenance()  # older records kept none
    record = run_context_record(submission.request, plan, submission.request_source, provenance)
    store.put(key, encode_rows([record.as_row()], RUN_CONTEXT_SCHEMA))
    return True


@dataclass(frozen=True)
class Acceptance:
    """The outcome of :func:`submit`."""

    submission: Submission
    plan: ShardPlan
    #: True when this call created the claim (the run id was new).
    first_acceptance: bool
    #: What this call dispatched (empty when everything had been dispatched before).
    report: DispatchReport
    #: Every shard id recorded as dispatched, by this or earlier acceptances.
    dispatched: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """All shards of the plan have been dispatched."""
        return len(self.dispatched) == self.plan.shard_count

    @property
    def replayed(self) -> bool:
        """Nothing was handed over by this call: everything had been before."""
        return not self.report.records

    @property
    def not_dispatched(self) -> tuple[int, ...]:
        """Shards of the plan not dispatched yet (submit again to dispatch them)."""
        done = set(self.dispatched)
        return tuple(s.shard_id for s in self.plan.shards if s.shard_id not in done)

    def response_body(self) -> dict[str, Any]:
        """The 202 body of DESIGN §3.5 (every dispatch is listed, ≤ max_shards entries).

        When some shards could not be dispatched, ``status`` is ``"dispatch_incomplete"``
        and ``not_dispatched`` names them; submitting the same request again completes
        the run.
        """
        codes = {record.shard_id: record.status_code for record in self.report.records}
        done = set(self.dispatched)
        dispatches = [
            {"shard_id": shard.shard_id, "status_code": codes.get(shard.shard_id, 200)}
            for shard in self.plan.shards
            if shard.shard_id in done or shard.shard_id in codes
        ]
        body: dict[str, Any] = {
            "run_id": self.submission.run_id,
            "total_points": self.plan.total_points,
            "shards_dispatched": len(self.dispatched),
            "status": "dispatch_submitted" if self.complete else "dispatch_incomplete",
            "schema_version": SCHEMA_VERSION,
            "dispatches": dispatches,
        }
        if not self.complete:
            body["not_dispatched"] = list(self.not_dispatched)
        return body


def submit(
    request: SweepRequest,
    *,
    store: ObjectStore,
    dispatcher: Dispatcher,
    now: dt.datetime,
    request_source: str,
    limits: Limits = DEFAULT_LIMITS,
    prefix: str = keys.DEFAULT_PREFIX,
    provenance: Provenance | None = None,
) -> Acceptance:
    """Plan, claim, record and dispatch a validated request (see the module docstring).

    ``provenance`` (default: :func:`~sweeplib.provenance.current_provenance`) is the
    code accepting the run: kept in the submission record, written to ``run_context``.

    Raises
    ------
    PlanTooLarge
        The plan exceeds a limit; nothing is written.
    RunConflict
        The run id was accepted before with a different request; nothing is written.
    StorageError
        The store failed.
    """
    plan = compute_shard_plan(request, limits)
    submission, first = claim_run(
        store,
        request,
        now=now,
        request_source=request_source,
        limits=limits,
        prefix=prefix,
        provenance=provenance or current_provenance(),
    )
    ensure_run_context(store, submission, plan, prefix=prefix)
    report, dispatched = _dispatch_once(store, submission, plan, dispatcher, prefix)
    return Acceptance(
        submission=submission,
        plan=plan,
        first_acceptance=first,
        report=report,
        dispatched=tuple(sorted(dispatched)),
    )


#: Rounds a submission tries to claim before giving up (each lost to a concurrent twin).
_CLAIM_ATTEMPTS = 8


def _dispatch_once(
    store: ObjectStore,
    submission: Submission,
    plan: ShardPlan,
    dispatcher: Dispatcher,
    prefix: str,
) -> tuple[DispatchReport, set[int]]:
    """Dispatch the shards no round has claimed, at most once each (ADR 0018).

    Claims the next dispatch round for them first; a concurrent submission that won the
    round has them, so this one re-reads and sends nothing of theirs. Only the pending
    shards' messages are built (one per shard, by the planner).
    """
    run_id, request = submission.run_id, submission.request
    for _ in range(_CLAIM_ATTEMPTS):
        state = read_dispatch_state(store, run_id, prefix=prefix)
        pending = [s.shard_id for s in plan.shards if s.shard_id not in state.claimed]
        if not pending:
            return DispatchReport(), set(state.claimed)
        number = state.rounds + 1
        if not claim_dispatch_round(store, run_id, number, pending, prefix=prefix):
            continue  # a concurrent submission claimed this round: read what it took
        messages = [shard_message(request, plan, i, submission.run_date) for i in pending]
        report = dispatcher.dispatch(messages)
        refused = set(pending) - set(report.dispatched)
        if refused:
            record_refused_shards(store, run_id, number, refused, prefix=prefix)
        return report, set(state.claimed) | set(report.dispatched)
    raise StorageError(
        keys.dispatch_rounds_prefix(run_id, prefix=prefix),
        f"lost {_CLAIM_ATTEMPTS} dispatch rounds in a row to concurrent submissions",
    )


def messages_for(
    submission: Submission, shard_ids: Sequence[int], *, limits: Limits = RECORD_LIMITS
) -> list[ShardMessage]:
    """The messages of some shards of an accepted run (same run id and run date).

    The run was checked against the deployment's limits when it was accepted; by default
    its plan is rebuilt under :data:`~sweeplib.submissions.RECORD_LIMITS`, so lowering a
    limit later does not strand the run.
    """
    plan = compute_shard_plan(submission.request, limits)
    wanted = sorted({int(shard_id) for shard_id in shard_ids})
    return [shard_message(submission.request, plan, i, submission.run_date) for i in wanted]


# -- run on this machine ---------------------------------------------------------------


@dataclass(frozen=True)
class LocalRun:
    """What :func:`run_local` did: the acceptance and what the process pool ran."""

    acceptance: Acceptance
    summary: RunSummary
    workers: int
    data_dir: str
    consolidation: Consolidation | None = None

    def describe(self) -> str:
        """The lines ``sweep run`` prints (and a notebook shows)."""
        acceptance = self.acceptance
        plan, submission = acceptance.plan, acceptance.submission
        if acceptance.first_acceptance:
            text = (
                f"run {submission.run_id} accepted for {submission.run_date}: "
                f"{plan.total_points} point(s) in {plan.shard_count} shard(s), "
                f"{self.workers} worker(s); data in {self.data_dir}"
            )
        else:
            ran = len(acceptance.report.records)
            text = (
                f"run {submission.run_id} was accepted on {submission.run_date} with this "
                f"request; {ran} shard(s) had not run yet"
                + ("" if ran else " (use `sweep rerun` to retry failed shards)")
            )
        if acceptance.report.records:
            text += "\n" + self.summary.describe()
        if self.consolidation is not None:
            text += "\n" + self.consolidation.describe()
        return text


def run_local(
    request: SweepRequest,
    *,
    data_dir: str | os.PathLike[str],
    workers: int | None = None,
    progress: bool = True,
    now: dt.datetime | None = None,
    prefix: str = keys.DEFAULT_PREFIX,
) -> LocalRun:
    """Accept ``request`` and run every shard not run yet on this machine (``sweep run``).

    A process pool runs the Lambda's own worker over a local folder laid out like the
    bucket. Running the same request again resumes it; the same run id with another
    request is refused.

    Raises
    ------
    RunConflict
        The run id was accepted before with another request.
    """
    from sweeplib.local import LocalDispatcher
    from sweeplib.storage.local import LocalObjectStore

    store = LocalObjectStore(data_dir)
    store.remove_stale_temporaries()  # of writes killed mid-way (older than an hour)
    dispatcher = LocalDispatcher(data_dir, workers=workers, progress=progress, prefix=prefix)
    acceptance = submit(
        request,
        store=store,
        dispatcher=dispatcher,
        now=now or utc_now(),
        request_source="local",
        prefix=prefix,
    )
    consolidation = None
    if not dispatcher.summary.interrupted:
        consolidation = compact(store, request.run_id, now=now or utc_now(), prefix=prefix)
    return LocalRun(
        acceptance, dispatcher.summary, dispatcher.workers, str(store.root), consolidation
    )


# -- rerun -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rerun:
    """What :func:`rerun` found to do and dispatched."""

    submission: Submission
    status: RunStatus
    report: DispatchReport
    #: The idempotency key of a rerun through the API (``None`` for ``sweep rerun``).
    rerun_id: str | None = None
    #: True when an earlier rerun with the same ``rerun_id`` sent the shards; nothing was
    #: sent now.
    replayed: bool = False

    @property
    def shard_ids(self) -> tuple[int, ...]:
        """The failed and missing shards (those dispatched again)."""
        return tuple(sorted([f.shard_id for f in self.status.failed] + list(self.status.missing)))

    def describe_plan(self) -> str:
        """One line: what is rerun, or that nothing is."""
        status = self.status
        if not self.shard_ids:
            return f"run {status.run_id}: all {status.planned} shard(s) succeeded; nothing to rerun"
        return (
            f"run {status.run_id} ({self.submission.run_date}): rerunning "
            f"{len(self.shard_ids)} shard(s) ({len(status.failed)} failed, "
            f"{len(status.missing)} missing)"
        )


def rerun(
    store: ObjectStore,
    run_id: str,
    dispatcher: Dispatcher,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    announce: Callable[[str], None] | None = None,
    idempotent: bool = False,
    rerun_id: str | None = None,
) -> Rerun:
    """Dispatch again only the failed or missing shards of an accepted run.

    Same run id, same run date, same messages as the first time (rebuilt from the run's
    submission record). The run's ``run_context`` record is written if an interrupted
    acceptance left none. A cancelled run is resumed: its mark is cleared and its
    cancelled shards (failure records ``cancelled``) run again with the missing ones. A
    shard listed in ``failure_injection_shards`` fails again, by design; shards that
    succeeded are never run again.

    Parameters
    ----------
    announce
        Called with :meth:`Rerun.describe_plan` before anything is dispatched.
    idempotent
        Claim the rerun first (a conditional create of ``…/dispatch/rerun={rerun_id}.json``)
        and send nothing when an earlier rerun with the same ``rerun_id`` did (the API's
        ``POST /sweep-run/{run_id}/rerun``, which a client may retry).
    rerun_id
        The idempotency key; by default :func:`rerun_key` of the run's status.

    Raises
    ------
    ObjectNotFound
        The run id was never accepted.
    """
    submission = load_submission(store, run_id, prefix=prefix)
    # An acceptance interrupted after its claim may have left no run_context record.
    ensure_run_context(
        store, submission, compute_shard_plan(submission.request, RECORD_LIMITS), prefix=prefix
    )
    found = run_status(store, run_id, prefix=prefix, with_errors=idempotent)
    rerun_id = (rerun_id or rerun_key(found)) if idempotent else None
    planned = Rerun(submission, found, DispatchReport(), rerun_id)
    if found.cancelled:  # a rerun after a cancel resumes the run
        write_cancel(store, run_id, cancelled=False, now=utc_now(), prefix=prefix)
    if announce is not None:
        announce(planned.describe_plan())
    if not planned.shard_ids:
        return planned
    if rerun_id is not None:
        key = keys.dispatch_rerun_key(run_id, rerun_id, prefix=prefix)
        body = canonical_json({"run_id": run_id, "rerun_id": rerun_id, "shards": planned.shard_ids})
        try:
            store.put(key, body.encode(), if_absent=True)
        except PreconditionFailed:  # this rerun was sent before: a replay
            return Rerun(submission, found, DispatchReport(), rerun_id, replayed=True)
    report = dispatcher.dispatch(messages_for(submission, planned.shard_ids))
    return Rerun(submission, found, report, rerun_id)


def rerun_key(found: RunStatus) -> str:
    """The default idempotency key of a rerun: a hash of what it would rerun — the
    failed shards with the time of their failure records, and the missing shards. Posting
    the same rerun again before any of those shards has a new outcome is a replay; once a
    worker wrote a new outcome for one, the key changes."""
    state = {
        "failed": [[f.shard_id, f.event_time] for f in found.failed],
        "missing": list(found.missing),
    }
    return "auto-" + sha256_hex(canonical_json(state))[:32]


# -- cancel ----------------------------------------------------------------------------


def cancel(
    store: ObjectStore,
    run_id: str,
    *,
    now: dt.datetime,
    prefix: str = keys.DEFAULT_PREFIX,
) -> Submission:
    """Cancel an accepted run: no shard of it runs from now on (``sweep cancel``).

    Shards that committed stay; a worker handed one of its shards — queued, or starting
    its next point — writes a ``cancelled`` failure record instead of running it. The
    local pool and the Lambda workers read the same mark. :func:`rerun` resumes the run.
    Cancelling twice is the same as once.

    Raises
    ------
    ObjectNotFound
        The run id was never accepted.
    """
    submission = load_submission(store, run_id, prefix=prefix)
    write_cancel(store, run_id, cancelled=True, now=now, prefix=prefix)
    return submission


# -- status and watch ------------------------------------------------------------------


def status(
    store: ObjectStore,
    run_id: str,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    with_errors: bool = True,
    max_error_details: int | None = None,
) -> RunStatus:
    """A run's planned / succeeded / failed / missing shards, from its objects
    (:func:`sweeplib.status.run_status`; ``max_error_details`` caps the failure records
    read for their error code and message).

    Raises
    ------
    InvalidRequest
        ``run_id`` breaks the run id rule.
    ObjectNotFound
        Nothing is known about ``run_id``.
    """
    return run_status(
        store,
        run_id,
        prefix=prefix,
        with_errors=with_errors,
        max_error_details=max_error_details,
    )


def watch(
    store: ObjectStore,
    run_id: str,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    poll_s: float = 5.0,
    timeout_s: float | None = None,
    on_progress: Callable[[RunStatus], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunStatus:
    """Poll a run's outcome objects until every planned shard has an outcome.

    Each poll is :func:`status` without reading failure records (for S3: LIST calls over
    the run's ``shard_outcomes`` prefix plus one GET of its submission record), so
    watching costs S3 LIST calls, not Lambda invocations. The last status is read with
    the failed shards' errors.

    Parameters
    ----------
    store : ObjectStore
        Where the run's outcomes are written (``S3ObjectStore``, ``LocalObjectStore``).
    prefix : str
        The deployment's base key prefix.
    poll_s : float
        Seconds between polls (> 0).
    timeout_s : float, optional
        Give up after this many seconds; ``None`` waits as long as it takes.
    on_progress : callable, optional
        Called with every status read, the final one included (progress bars).
    sleep, clock
        Waiting and monotonic time (tests pass fakes).

    Returns
    -------
    RunStatus
        A finished status (``status.finished``): no shard is missing. Failed shards
        count as finished; note that SQS may still redeliver a failed shard's message,
        and a later success replaces the failure.

    Raises
    ------
    ObjectNotFound
        Nothing is known about ``run_id``.
    WaitTimedOut
        ``timeout_s`` passed with shards still missing; carries the last status.
    InvalidRequest
        ``poll_s`` ≤ 0 or ``timeout_s`` < 0.
    """
    if not poll_s > 0:
        raise InvalidRequest("poll_s", f"must be > 0, got {poll_s!r}")
    if timeout_s is not None and not timeout_s >= 0:
        raise InvalidRequest("timeout_s", f"must be >= 0, got {timeout_s!r}")
    started = clock()
    while True:
        found = run_status(store, run_id, prefix=prefix, with_errors=False)
        if found.finished and found.failed:
            found = run_status(store, run_id, prefix=prefix, with_errors=True)
        if on_progress is not None:
            on_progress(found)
        if found.finished:
            return found
        waited = clock() - started
        if timeout_s is not None and waited >= timeout_s:
            raise WaitTimedOut(run_id, timeout_s, found)
        remaining = poll_s if timeout_s is None else min(poll_s, timeout_s - waited)
        sleep(max(remaining, 0.0))
