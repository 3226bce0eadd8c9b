"""A run's own records beside its datasets: the submission record and the dispatch ledger.

* The **submission record** (``_runs/run_id=…/submission.json``, keyed by run id only)
  claims a run id: the first acceptance creates it with a conditional write. It holds
  the normalized request, its fingerprints and the **run date**, fixed there once, so
  ``status`` and ``rerun`` can rebuild the plan and the messages of the run.
* The **dispatch ledger** (``_runs/run_id=…/dispatched.json``) lists the shards handed
  over so far, so a submission repeated after a partial dispatch sends only the rest.

Keys come from :mod:`sweeplib.storage.keys`; the clock is passed in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sweeplib.contracts import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    Limits,
    SweepRequest,
    canonical_json,
    format_event_time,
    parse_sweep_request,
)
from sweeplib.errors import ObjectNotFound, PreconditionFailed, RunConflict, StorageError
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore

__all__ = [
    "RECORD_LIMITS",
    "Submission",
    "claim_run",
    "load_submission",
    "read_dispatch_ledger",
    "write_dispatch_ledger",
]


#: The limits a stored submission record is read and re-planned under: none worth the
#: name. The record was checked against the deployment's limits when it was accepted;
#: reading it back (status, rerun, the worker's check of a message) must not refuse it
#: because the caps of *this* reader are lower or differ (MAX_POINTS, MAX_SHARDS).
RECORD_LIMITS = Limits(
    max_points=2**62, max_values_per_dimension=2**62, max_shards=2**62, max_message_bytes=None
)


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
        """The record's body: canonical JSON."""
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
    def from_json(cls, text: str | bytes, *, limits: Limits = RECORD_LIMITS) -> Submission:
        """Read a record written by :meth:`to_json` (the request is parsed again).

        Raises
        ------
        ValueError, KeyError, TypeError
            The body is not such a record (callers turn these into ``StorageError``).
        """
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


def _read_submission(store: ObjectStore, key: str, limits: Limits) -> Submission:
    try:
        return Submission.from_json(store.get(key), limits=limits)
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(key, f"unreadable submission record: {error}") from error


def load_submission(
    store: ObjectStore,
    run_id: str,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    limits: Limits = RECORD_LIMITS,
) -> Submission:
    """Read a run's submission record (by default under :data:`RECORD_LIMITS`).

    Raises
    ------
    ObjectNotFound
        If the run id was never accepted by sweeplib.
    StorageError
        If the record cannot be read as one.
    """
    return _read_submission(store, keys.submission_key(run_id, prefix=prefix), limits)


def claim_run(
    store: ObjectStore,
    request: SweepRequest,
    *,
    now: dt.datetime,
    request_source: str,
    limits: Limits = DEFAULT_LIMITS,
    prefix: str = keys.DEFAULT_PREFIX,
) -> tuple[Submission, bool]:
    """Claim ``request.run_id`` with a conditional create of its submission record.

    Returns
    -------
    (Submission, bool)
        The run's record (this one, or the one written by an earlier acceptance of the
        same request, whose run date then stands) and whether this call created it.

    Raises
    ------
    RunConflict
        The run id was claimed before by a different request; nothing is written.
    StorageError
        The store failed, or the existing record is unreadable.
    """
    claim = Submission(
        run_id=request.run_id,
        run_date=now.astimezone(dt.UTC).date().isoformat(),
        accepted_at=format_event_time(now),
        request_source=request_source,
        request_fingerprint=request.request_fingerprint,
        config_fingerprint=request.config_fingerprint,
        request=request,
    )
    key = keys.submission_key(request.run_id, prefix=prefix)
    try:
        store.put(key, claim.to_json().encode(), if_absent=True)
        return claim, True
    except PreconditionFailed:
        existing = _read_submission(store, key, RECORD_LIMITS)
    if existing.request_fingerprint != claim.request_fingerprint:
        raise RunConflict(
            request.run_id,
            f"already accepted on {existing.run_date} with a different request "
            f"(fingerprint {existing.request_fingerprint[:12]}…, this one "
            f"{claim.request_fingerprint[:12]}…); choose a new run_id",
        )
    return existing, False


def read_dispatch_ledger(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> set[int]:
    """The shard ids recorded as dispatched (none when the run has no ledger yet).

    Raises
    ------
    StorageError
        The ledger exists but cannot be read.
    """
    key = keys.dispatch_ledger_key(run_id, prefix=prefix)
    try:
        body = store.get(key)
    except ObjectNotFound:
        return set()
    try:
        return {int(shard) for shard in json.loads(body)["dispatched_shards"]}
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(key, f"unreadable dispatch ledger: {error}") from error


def write_dispatch_ledger(
    store: ObjectStore, run_id: str, shard_ids: Iterable[int], *, prefix: str = keys.DEFAULT_PREFIX
) -> None:
    """Record ``shard_ids`` (all of them, not only the new ones) as dispatched."""
    body = canonical_json({"run_id": run_id, "dispatched_shards": sorted(set(shard_ids))})
    store.put(keys.dispatch_ledger_key(run_id, prefix=prefix), body.encode())
