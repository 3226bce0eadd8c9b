"""A run's progress from its outcome objects — no SQL, no Athena.

Planned shards come from the run's submission record (or, for runs written by the
original system, its ``run_context`` record); succeeded and failed shards from the
keys of its ``shard_outcomes`` objects. **Success is final**: a shard with a success
record is succeeded even if failure records exist too (an earlier attempt failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sweeplib.contracts import STATUS_FAILURE, STATUS_SUCCESS
from sweeplib.errors import ObjectNotFound, StorageError
from sweeplib.planning import compute_shard_plan, contiguous_shards
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore
from sweeplib.submissions import RECORD_LIMITS, is_cancelled, load_submission

__all__ = ["RunStatus", "ShardFailure", "find_run_dates", "run_status"]


@dataclass(frozen=True)
class ShardFailure:
    shard_id: int
    error_code: str | None
    error_message: str | None
    #: When the failure record was written (read with the errors; not in ``as_dict``).
    event_time: str | None = None


@dataclass(frozen=True)
class RunStatus:
    """Counts of a run's shards by state (each planned shard is in exactly one)."""

    run_id: str
    run_dates: tuple[str, ...]
    total_points: int
    planned: int
    succeeded: tuple[int, ...]
    failed: tuple[ShardFailure, ...]
    missing: tuple[int, ...]
    succeeded_points: int = 0
    unplanned: tuple[int, ...] = field(default_factory=tuple)
    #: The run is marked cancelled (``sweep cancel``); its cancelled shards are in
    #: ``failed`` with error code ``cancelled``.
    cancelled: bool = False
    #: Failed shards listed without their error code and message (past the details cap
    #: of ``run_status(max_error_details=…)``).
    failure_details_omitted: int = 0

    @property
    def finished(self) -> bool:
        """Every planned shard has an outcome (success or failure)."""
        return not self.missing

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "run_dates": list(self.run_dates),
            "total_points": self.total_points,
            "planned_shards": self.planned,
            "succeeded_shards": len(self.succeeded),
            "failed_shards": len(self.failed),
            "missing_shards": len(self.missing),
            "succeeded_points": self.succeeded_points,
            "failed": [
                {
                    "shard_id": f.shard_id,
                    "error_code": f.error_code,
                    "error_message": f.error_message,
                }
                for f in self.failed
            ],
            "missing": list(self.missing),
            "cancelled": self.cancelled,
            **(
                {"failure_details_omitted": self.failure_details_omitted}
                if self.failure_details_omitted
                else {}
            ),
        }


def find_run_dates(
    store: ObjectStore, run_id: str, *, prefix: str = keys.DEFAULT_PREFIX
) -> tuple[str, ...]:
    """The run dates under which ``run_context`` records of ``run_id`` exist."""
    dates = set()
    for key in store.list(keys.dataset_prefix("run_context", prefix=prefix)):
        parsed = keys.parse_key(key)
        if parsed.run_id == run_id:
            dates.add(parsed.run_date)
    return tuple(sorted(dates))


def run_status(
    store: ObjectStore,
    run_id: str,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    with_errors: bool = True,
    max_error_details: int | None = None,
) -> RunStatus:
    """Planned / succeeded / failed / missing shards of a run.

    Parameters
    ----------
    with_errors
        Read each failure record for its error code and message (one small read per
        failed shard); without it only the shard ids are reported.
    max_error_details
        Read at most this many failure records (the lowest shard ids); the other failed
        shards are listed without details and counted in ``failure_details_omitted``.
        The API's status route sets it, so a run with thousands of failed shards answers
        in a few reads instead of one per shard. ``None``: no cap.

    Raises
    ------
    ObjectNotFound
        Nothing is known about ``run_id`` (no submission and no run_context record).
    """
    try:
        submission = load_submission(store, run_id, prefix=prefix)
    except ObjectNotFound:
        submission = None
    if submission is not None:
        plan = compute_shard_plan(submission.request, RECORD_LIMITS)
        planned_ranges = {s.shard_id: s.size for s in plan.shards}
        total_points = plan.total_points
        run_dates: tuple[str, ...] = (submission.run_date,)
    else:
        run_dates = find_run_dates(store, run_id, prefix=prefix)
        if not run_dates:
            raise ObjectNotFound(keys.submission_key(run_id, prefix=prefix))
        planned_ranges, total_points = _plan_from_run_context(store, run_id, run_dates, prefix)
    successes: dict[int, str] = {}
    failures: dict[int, str] = {}
    for run_date in run_dates:
        address = keys.RunAddress.of(run_date, run_id, prefix=prefix)
        for key in store.list(address.dataset_prefix("shard_outcomes")):
            parsed = keys.parse_key(key)
            if parsed.shard_id is None:
                continue
            if parsed.status == STATUS_SUCCESS:
                successes[parsed.shard_id] = key
            elif parsed.status == STATUS_FAILURE:
                failures[parsed.shard_id] = key
    failed_ids = sorted(set(failures) - set(successes))
    detailed = failed_ids if with_errors else []
    if max_error_details is not None:
        detailed = detailed[: max(max_error_details, 0)]
    errors = _read_errors(store, [failures[s] for s in detailed])
    errors += [(None, None, None)] * (len(failed_ids) - len(detailed))
    failed = [
        ShardFailure(shard_id, code, message, event_time)
        for shard_id, (code, message, event_time) in zip(failed_ids, errors, strict=True)
    ]
    done = set(successes) | set(failures)
    return RunStatus(
        run_id=run_id,
        run_dates=run_dates,
        total_points=total_points,
        planned=len(planned_ranges),
        succeeded=tuple(sorted(s for s in successes if s in planned_ranges)),
        failed=tuple(f for f in failed if f.shard_id in planned_ranges),
        missing=tuple(s for s in sorted(planned_ranges) if s not in done),
        succeeded_points=sum(planned_ranges.get(s, 0) for s in successes),
        unplanned=tuple(sorted(done - set(planned_ranges))),
        cancelled=submission is not None and is_cancelled(store, run_id, prefix=prefix),
        failure_details_omitted=(len(failed_ids) - len(detailed)) if with_errors else 0,
    )


#: Failure records read at once: a status of 1,000 failed shards reads them concurrently
#: (on S3 each GET is a round trip; read one after another they approach the API's 30 s).
READ_CONCURRENCY = 32


_Error = tuple[str | None, str | None, str | None]


def _read_errors(store: ObjectStore, keys_: list[str]) -> list[_Error]:
    """The (error_code, error_message, event_time) of each failure record, in order, read
    concurrently."""
    if len(keys_) <= 1:
        return [_read_error(store, key) for key in keys_]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(keys_))) as pool:
        return list(pool.map(lambda key: _read_error(store, key), keys_))


def _read_error(store: ObjectStore, key: str) -> _Error:
    from sweeplib.storage.parquet import decode_table  # pyarrow: only for failure details

    try:
        row = decode_table(store.get(key), key=key).to_pylist()[0]
    except (StorageError, IndexError):
        return None, None, None
    event_time = row.get("event_time")
    return row.get("error_code"), row.get("error_message"), str(event_time) if event_time else None


def _plan_from_run_context(
    store: ObjectStore, run_id: str, run_dates: tuple[str, ...], prefix: str
) -> tuple[dict[int, int], int]:
    """Shard sizes from the newest run_context record (contiguous split of its points)."""
    from sweeplib.storage.parquet import decode_table

    key = keys.RunAddress.of(run_dates[-1], run_id, prefix=prefix).run_context_key()
    row = decode_table(store.get(key), key=key).to_pylist()[0]
    total, count = int(row["total_points"]), int(row["shard_count"])
    return {shard.shard_id: shard.size for shard in contiguous_shards(total, count)}, total
