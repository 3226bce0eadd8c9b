"""Accept a sweep request: plan, record, dispatch — the same for local runs and the API.

Accepting a request at time ``now``:

1. plan its shards (limits apply);
2. **claim** the run id: a conditional create of the run's submission record
   (``_runs/run_id=…/submission.json``, keyed by run id only). It holds the normalized
   request, its fingerprint and the **run date**, fixed here once. A later submission
   of the same request reuses that run date; a different request under the same run
   id is a :class:`~sweeplib.errors.RunConflict`;
3. write the ``run_context`` record (first acceptance only);
4. dispatch the shard messages not yet dispatched, and record the dispatched shard
   ids in the run's dispatch ledger (``_runs/run_id=…/dispatched.json``) — so
   re-submitting a request never hands a shard over twice, and a submission that
   could dispatch only part of its shards is completed by submitting it again.

Everything time- or environment-dependent is passed in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sweeplib.contracts import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    Limits,
    ShardMessage,
    SweepRequest,
    canonical_json,
    config_fingerprint,
    format_event_time,
    parse_sweep_request,
    request_fingerprint,
)
from sweeplib.dispatch import Dispatcher, DispatchReport
from sweeplib.errors import ObjectNotFound, PreconditionFailed, RunConflict, StorageError
from sweeplib.planning import (
    ShardPlan,
    compute_shard_plan,
    run_context_record,
    shard_messages,
)
from sweeplib.storage import keys
from sweeplib.storage.parquet import encode_rows
from sweeplib.storage.schemas import RUN_CONTEXT_SCHEMA
from sweeplib.storage.store import ObjectStore

__all__ = [
    "Acceptance",
    "Submission",
    "accept_request",
    "dispatch_ledger_key",
    "load_submission",
    "messages_for",
    "read_dispatch_ledger",
]


@dataclass(frozen=True)
class Submission:
    """The record that claims a run id (written once, by the first acceptance)."""

    run_id: str
    run_date: str
    accepted_at: str
    request_source: str
    request_fingerprint: str
    config_fingerprint: str
    request: SweepRequest

    def to_json(self) -> str:
        return canonical_json(
            {
                "schema_version": SCHEMA_VERSION,
                "run_id": self.run_id,
                "run_date": self.run_date,
                "accepted_at": self.accepted_at,
                "request_source": self.request_source,
                "request_fingerprint": self.request_fingerprint,
                "config_fingerprint": self.config_fingerprint,
                "request": self.request.to_json_dict(),
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> Submission:
        document = json.loads(text)
        request = parse_sweep_request(document["request"], limits)
        return cls(
            run_id=document["run_id"],
            run_date=document["run_date"],
            accepted_at=document["accepted_at"],
            request_source=document["request_source"],
            request_fingerprint=document["request_fingerprint"],
            config_fingerprint=document["config_fingerprint"],
            request=request,
        )


@dataclass(frozen=True)
class Acceptance:
    """The outcome of :func:`accept_request`."""

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
    def not_dispatched(self) -> tuple[int, ...]:
        done = set(self.dispatched)
        return tuple(s.shard_id for s in self.plan.shards if s.shard_id not in done)

    def response_body(self) -> dict[str, Any]:
        """The 202 body of DESIGN §3.5 (every dispatch is listed, ≤ max_shards entries).

        When some shards could not be dispatched, ``status`` is ``"dispatch_incomplete"``
        and ``not_dispatched`` names them; submitting the same request again completes
        the run.
        """
        codes = {record.shard_id: record.status_code for record in self.report.records}
        dispatches = [
            {"shard_id": shard.shard_id, "status_code": codes.get(shard.shard_id, 200)}
            for shard in self.plan.shards
            if shard.shard_id in set(self.dispatched) or shard.shard_id in codes
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


def dispatch_ledger_key(run_id: str, *, prefix: str = keys.DEFAULT_PREFIX) -> str:
    """The run's dispatch ledger, next to its submission record."""
    return keys.submission_key(run_id, prefix=prefix).rsplit("/", 1)[0] + "/dispatched.json"


def load_submission(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> Submission:
    """Read a run's submission record.

    Raises
    ------
    ObjectNotFound
        If the run id was never accepted by sweeplib.
    """
    body = store.get(keys.submission_key(run_id, prefix=prefix))
    try:
        return Submission.from_json(body)
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(
            keys.submission_key(run_id, prefix=prefix), f"unreadable: {error}"
        ) from error


def read_dispatch_ledger(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> set[int]:
    try:
        body = store.get(dispatch_ledger_key(run_id, prefix=prefix))
    except ObjectNotFound:
        return set()
    try:
        return {int(shard) for shard in json.loads(body)["dispatched_shards"]}
    except (ValueError, KeyError, TypeError) as error:
        key = dispatch_ledger_key(run_id, prefix=prefix)
        raise StorageError(key, f"unreadable dispatch ledger: {error}") from error


def _write_dispatch_ledger(
    store: ObjectStore, run_id: str, shard_ids: set[int], prefix: str
) -> None:
    body = canonical_json({"run_id": run_id, "dispatched_shards": sorted(shard_ids)})
    store.put(dispatch_ledger_key(run_id, prefix=prefix), body.encode())


def accept_request(
    request: SweepRequest,
    *,
    store: ObjectStore,
    dispatcher: Dispatcher,
    now: dt.datetime,
    request_source: str,
    limits: Limits = DEFAULT_LIMITS,
    prefix: str = keys.DEFAULT_PREFIX,
) -> Acceptance:
    """Plan, claim, record and dispatch a validated request (see the module docstring).

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
    submission, first = _claim(request, store, now, request_source, limits, prefix)
    if first:
        record = run_context_record(request, plan, request_source)
        store.put(
            keys.run_context_key(submission.run_date, request.run_id, prefix=prefix),
            encode_rows([record.as_row()], RUN_CONTEXT_SCHEMA),
        )
    already = read_dispatch_ledger(store, request.run_id, prefix=prefix)
    pending = [
        message
        for message in shard_messages(request, plan, submission.run_date)
        if message.shard_id not in already
    ]
    report = dispatcher.dispatch(pending) if pending else DispatchReport()
    dispatched = already | set(report.dispatched)
    if report.dispatched:
        _write_dispatch_ledger(store, request.run_id, dispatched, prefix)
    return Acceptance(
        submission=submission,
        plan=plan,
        first_acceptance=first,
        report=report,
        dispatched=tuple(sorted(dispatched)),
    )


def _claim(
    request: SweepRequest,
    store: ObjectStore,
    now: dt.datetime,
    request_source: str,
    limits: Limits,
    prefix: str,
) -> tuple[Submission, bool]:
    claim = Submission(
        run_id=request.run_id,
        run_date=now.astimezone(dt.UTC).date().isoformat(),
        accepted_at=format_event_time(now),
        request_source=request_source,
        request_fingerprint=request_fingerprint(request),
        config_fingerprint=config_fingerprint(request),
        request=request,
    )
    key = keys.submission_key(request.run_id, prefix=prefix)
    try:
        store.put(key, claim.to_json().encode(), if_absent=True)
        return claim, True
    except PreconditionFailed:
        try:
            existing = Submission.from_json(store.get(key), limits=limits)
        except (ValueError, KeyError, TypeError) as error:
            raise StorageError(key, f"unreadable submission record: {error}") from error
    if existing.request_fingerprint != claim.request_fingerprint:
        raise RunConflict(
            request.run_id,
            f"already accepted on {existing.run_date} with a different request "
            f"(fingerprint {existing.request_fingerprint[:12]}…, this one "
            f"{claim.request_fingerprint[:12]}…); choose a new run_id",
        )
    return existing, False


def messages_for(
    submission: Submission,
    shard_ids: Sequence[int],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ShardMessage]:
    """The messages of some shards of an accepted run (same run id and run date)."""
    plan = compute_shard_plan(submission.request, limits)
    wanted = set(shard_ids)
    return [
        message
        for message in shard_messages(submission.request, plan, submission.run_date)
        if message.shard_id in wanted
    ]
