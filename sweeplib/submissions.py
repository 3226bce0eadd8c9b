"""A run's own records beside its datasets: the submission record and the dispatch ledger.

* The **submission record** (``_runs/run_id=…/submission.json``, keyed by run id only)
  claims a run id: the first acceptance creates it with a conditional write. It holds
  the normalized request, its fingerprints and the **run date**, fixed there once, so
  ``status`` and ``rerun`` can rebuild the plan and the messages of the run.
* The **dispatch rounds** (``_runs/run_id=…/dispatch/round=NNNNNN.json``) make dispatch
  at most once per shard, however many identical submissions run at once: before
  sending anything, a submission claims the next round with a conditional create that
  lists the shards it will send; of concurrent submissions exactly one wins the round,
  the others read it and send nothing. Shards the dispatcher then refused are written
  beside it (``round=NNNNNN.refused.json``) and a later submission claims them again.
  A claim is written *before* the send, so a failure after a successful send (a lost
  write, a crash) never leads to a second send; its cost is the opposite case — a claim
  whose send never happened leaves the shard missing until ``sweep rerun`` (ADR 0018).
  Runs accepted before the rounds existed have a ledger (``dispatched.json``); it is
  still read.

Keys come from :mod:`sweeplib.storage.keys`; the clock is passed in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sweeplib.contracts import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    Limits,
    Provenance,
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
    "DispatchState",
    "Submission",
    "claim_dispatch_round",
    "claim_run",
    "is_cancelled",
    "load_submission",
    "read_dispatch_ledger",
    "read_dispatch_state",
    "record_refused_shards",
    "write_cancel",
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
    #: The code that accepted the run (``None`` in records written before it was kept):
    #: ``run_context`` is written from it, by whichever later process completes it.
    provenance: Provenance | None = None

    def to_json(self) -> str:
        """The record's body: canonical JSON."""
        document: dict[str, object] = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "run_date": self.run_date,
            "accepted_at": self.accepted_at,
            "request_source": self.request_source,
            "request_fingerprint": self.request_fingerprint,
            "config_fingerprint": self.config_fingerprint,
            "request": self.request.to_json_dict(),
        }
        if self.provenance is not None:
            document["provenance"] = dataclasses.asdict(self.provenance)
        return canonical_json(document)

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
            provenance=_provenance(document),
        )


def _provenance(document: dict[str, object]) -> Provenance | None:
    recorded = document.get("provenance")
    if recorded is None:
        return None
    if not isinstance(recorded, dict):
        raise TypeError(f"provenance must be an object, got {type(recorded).__name__}")
    return Provenance(**recorded)


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


def _read_claim(store: ObjectStore, key: str, claim: Submission) -> Submission:
    """The record that holds ``key``. When its request fingerprint is the claim's, its
    request *is* the claim's (the fingerprint covers the normalized request), so only the
    record's own fields are read: a replay does not validate the stored request again."""
    body = store.get(key)
    try:
        document = json.loads(body)
        if document["request_fingerprint"] == claim.request_fingerprint:
            return Submission(
                run_id=document["run_id"],
                run_date=document["run_date"],
                accepted_at=document["accepted_at"],
                request_source=document["request_source"],
                request_fingerprint=claim.request_fingerprint,
                config_fingerprint=document["config_fingerprint"],
                request=claim.request,
                provenance=_provenance(document),
            )
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(key, f"unreadable submission record: {error}") from error
    return _read_submission(store, key, RECORD_LIMITS)


def claim_run(
    store: ObjectStore,
    request: SweepRequest,
    *,
    now: dt.datetime,
    request_source: str,
    limits: Limits = DEFAULT_LIMITS,
    prefix: str = keys.DEFAULT_PREFIX,
    provenance: Provenance | None = None,
) -> tuple[Submission, bool]:
    """Claim ``request.run_id`` with a conditional create of its submission record
    (which keeps ``provenance``, the code accepting the run).

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
        provenance=provenance,
    )
    key = keys.submission_key(request.run_id, prefix=prefix)
    try:  # a replay is the common repeat: answer it without writing the record's JSON
        existing = _read_claim(store, key, claim)
    except ObjectNotFound:
        try:
            store.put(key, claim.to_json().encode(), if_absent=True)
            return claim, True
        except PreconditionFailed:  # a concurrent acceptance claimed it meanwhile
            existing = _read_claim(store, key, claim)
    if existing.request_fingerprint != claim.request_fingerprint:
        raise RunConflict(
            request.run_id,
            f"already accepted on {existing.run_date} with a different request "
            f"(fingerprint {existing.request_fingerprint[:12]}…, this one "
            f"{claim.request_fingerprint[:12]}…); choose a new run_id",
        )
    return existing, False


@dataclass(frozen=True)
class DispatchState:
    """What a run's dispatch rounds (and legacy ledger) say."""

    #: Shards handed over, or claimed by a round that is handing them over (or died
    #: doing so): never dispatched again by a submission, only by ``rerun``.
    claimed: frozenset[int]
    #: The highest round number so far (0: nothing was ever dispatched).
    rounds: int


def _shard_ids(body: bytes, key: str, field: str) -> set[int]:
    try:
        values = json.loads(body)[field]
        if not isinstance(values, list):
            raise TypeError(f"{field} is not a list")
        return {int(shard) for shard in values}
    except (ValueError, KeyError, TypeError) as error:
        raise StorageError(key, f"unreadable dispatch record: {error}") from error


def read_dispatch_state(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> DispatchState:
    """Read a run's dispatch rounds: one LIST and one GET per round object.

    Raises
    ------
    StorageError
        A round or the legacy ledger exists but cannot be read.
    """
    claimed: set[int] = set()
    legacy = keys.dispatch_ledger_key(run_id, prefix=prefix)
    with contextlib.suppress(ObjectNotFound):  # runs accepted before the rounds existed
        claimed |= _shard_ids(store.get(legacy), legacy, "dispatched_shards")
    claims: dict[int, set[int]] = {}
    refused: dict[int, set[int]] = {}
    for key in store.list(keys.dispatch_rounds_prefix(run_id, prefix=prefix)):
        parsed = keys.parse_dispatch_round_key(key)
        if parsed is None:
            continue
        number, is_refusal = parsed
        target = refused if is_refusal else claims
        target[number] = _shard_ids(store.get(key), key, "shards")
    for number, shards in claims.items():
        claimed |= shards - refused.get(number, set())
    return DispatchState(frozenset(claimed), max(claims, default=0))


def claim_dispatch_round(
    store: ObjectStore,
    run_id: str,
    number: int,
    shard_ids: Iterable[int],
    *,
    prefix: str = keys.DEFAULT_PREFIX,
) -> bool:
    """Claim round ``number`` for ``shard_ids`` (conditional create); False if taken.

    Raises
    ------
    StorageError
        The store failed.
    """
    # No clock in it: the same submissions write the same bytes.
    body = canonical_json({"run_id": run_id, "round": number, "shards": sorted(set(shard_ids))})
    try:
        store.put(
            keys.dispatch_round_key(run_id, number, prefix=prefix), body.encode(), if_absent=True
        )
    except PreconditionFailed:
        return False
    return True


def record_refused_shards(
    store: ObjectStore,
    run_id: str,
    number: int,
    shard_ids: Iterable[int],
    *,
    prefix: str = keys.DEFAULT_PREFIX,
) -> None:
    """Record the shards of round ``number`` its dispatcher did not hand over (written once,
    by the round's holder), so a later submission claims them again."""
    body = canonical_json({"run_id": run_id, "round": number, "shards": sorted(set(shard_ids))})
    store.put(keys.dispatch_round_key(run_id, number, refused=True, prefix=prefix), body.encode())


def read_dispatch_ledger(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> set[int]:
    """The shard ids claimed for dispatch (:attr:`DispatchState.claimed`).

    Raises
    ------
    StorageError
        A dispatch record exists but cannot be read.
    """
    return set(read_dispatch_state(store, run_id, prefix=prefix).claimed)


def write_cancel(
    store: ObjectStore,
    run_id: str,
    *,
    cancelled: bool,
    now: dt.datetime,
    prefix: str = keys.DEFAULT_PREFIX,
) -> None:
    """Mark a run cancelled (workers then run none of its shards) or resumed.

    The submission record is create-only, so the mark is its own record beside it,
    ``_runs/run_id=…/cancel.json``, overwritten by each cancel and resume.
    """
    body = canonical_json(
        {"run_id": run_id, "cancelled": cancelled, "changed_at": format_event_time(now)}
    )
    store.put(keys.cancel_key(run_id, prefix=prefix), body.encode())


def is_cancelled(store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX) -> bool:
    """Whether the run is marked cancelled (one small read; False when never marked).

    Raises
    ------
    StorageError
        The cancel record exists but cannot be read.
    """
    key = keys.cancel_key(run_id, prefix=prefix)
    try:
        document = json.loads(store.get(key))
    except ObjectNotFound:
        return False
    except ValueError as error:
        raise StorageError(key, f"unreadable cancel record: {error}") from error
    value = document.get("cancelled") if isinstance(document, dict) else None
    if not isinstance(value, bool):
        raise StorageError(key, "unreadable cancel record: no boolean 'cancelled'")
    return value
