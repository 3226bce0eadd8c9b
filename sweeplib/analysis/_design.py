"""Designing a sweep in a notebook: the request, its plan, running or submitting it."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.contracts import (
    JSONScalar,
    SweepRequest,
    config_fingerprint,
    parse_sweep_request,
    request_fingerprint,
)
from sweeplib.errors import InvalidRequest
from sweeplib.planning import compute_shard_plan
from sweeplib.status import RunStatus, run_status
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore

if TYPE_CHECKING:
    from sweeplib.client import SubmitResult

__all__ = [
    "Execution",
    "SubmitClient",
    "build_request",
    "dimension_table",
    "execute_sweep",
    "plan_preview",
    "run_locally",
    "status_table",
    "submit_and_watch",
]


def build_request(
    run_id: str,
    dimensions: Mapping[str, Sequence[JSONScalar]],
    *,
    seed: int = 0,
    shard_count: int | None = None,
    shard_size: int | None = None,
    max_shards: int | None = None,
    failure_injection_shards: Sequence[int] = (),
) -> SweepRequest:
    """A validated sweep request from notebook parameters (every value of every dimension
    is checked, as the API would).

    Raises
    ------
    InvalidRequest
        The request breaks a rule (``field`` names it), e.g. neither ``shard_count`` nor
        ``shard_size`` given.
    """
    body: dict[str, Any] = {
        "run_id": run_id,
        "dimensions": {name: list(values) for name, values in dimensions.items()},
        "seed": seed,
        "failure_injection_shards": list(failure_injection_shards),
    }
    for name, value in (
        ("shard_count", shard_count),
        ("shard_size", shard_size),
        ("max_shards", max_shards),
    ):
        if value is not None:
            body[name] = value
    return parse_sweep_request(body)


def plan_preview(request: SweepRequest) -> pd.DataFrame:
    """The plan of ``request`` as a two-column table (``item``, ``value``).

    Points, shards and points per shard, the shard strategy and cap, the seed and the
    fingerprints (two runs with the same config fingerprint simulate the same points).

    Raises
    ------
    PlanTooLarge
        The plan exceeds a limit (the reason says which).
    """
    plan = compute_shard_plan(request)
    sizes = sorted({shard.size for shard in plan.shards})
    per_shard = " or ".join(str(size) for size in sizes)
    rows = [
        ("run_id", request.run_id),
        ("dimensions", " × ".join(f"{n} ({len(v)})" for n, v in request.dimensions.items())),
        ("points", f"{plan.total_points:,}"),
        ("shards", f"{plan.shard_count:,} ({plan.shard_strategy})"),
        ("points per shard", per_shard),
        ("max_shards", f"{plan.max_shards:,}"),
        ("seed", f"{request.seed} (point i runs with seed XOR i)"),
        (
            "failure_injection_shards",
            ", ".join(str(s) for s in request.failure_injection_shards) or "none",
        ),
        ("request_fingerprint", request_fingerprint(request)),
        ("config_fingerprint", config_fingerprint(request)),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def dimension_table(request: SweepRequest) -> pd.DataFrame:
    """One row per dimension: its values, how many, and whether any value repeats
    (repeated values are replications of a point, each with its own seed)."""
    rows = []
    for name, values in request.dimensions.items():
        distinct = {repr((type(v).__name__, v)) for v in values}
        rows.append(
            {
                "dimension": name,
                "values": len(values),
                "replications": len(values) - len(distinct),
                "list": ", ".join("null" if v is None else str(v) for v in values),
            }
        )
    return pd.DataFrame(rows, columns=["dimension", "values", "replications", "list"])


def status_table(status: RunStatus) -> pd.DataFrame:
    """A run's shard counts as a table (``state``, ``shards``, ``detail``)."""
    failed = "; ".join(f"{f.shard_id}: {f.error_code}" for f in status.failed)
    missing = ", ".join(str(s) for s in status.missing[:20])
    if len(status.missing) > 20:
        missing += f" and {len(status.missing) - 20} more"
    rows = [
        ("planned", status.planned, f"{status.total_points:,} points"),
        ("succeeded", len(status.succeeded), f"{status.succeeded_points:,} points"),
        ("failed", len(status.failed), failed),
        ("missing", len(status.missing), missing),
    ]
    return pd.DataFrame(rows, columns=["state", "shards", "detail"])


@dataclass(frozen=True)
class Execution:
    """What running or submitting a sweep did.

    Attributes
    ----------
    run_id : str
    backend : str
        ``"local"`` or ``"lambda"``.
    message : str
        One line for the researcher (accepted / replayed, where the data is).
    status : RunStatus or None
        The final shard counts (``None`` when a submitted run was not watched).
    """

    run_id: str
    backend: str
    message: str
    status: RunStatus | None

    def status_frame(self) -> pd.DataFrame:
        """:func:`status_table` of the final status (empty when there is none)."""
        if self.status is None:
            return pd.DataFrame({"state": [], "shards": [], "detail": []})
        return status_table(self.status)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_locally(
    request: SweepRequest,
    *,
    data_dir: str | os.PathLike[str],
    workers: int | None = None,
    progress: bool = True,
    now: Callable[[], dt.datetime] = _utc_now,
) -> Execution:
    """Accept and run ``request`` on this machine (the ``sweep run`` path).

    A process pool runs the Lambda's own worker with a progress bar over points; running
    the same request again resumes it, the same run id with another request is refused.

    Raises
    ------
    RunConflict
        The run id was accepted before with another request.
    """
    from sweeplib.local import LocalDispatcher
    from sweeplib.orchestration import accept_request
    from sweeplib.storage import LocalObjectStore

    store = LocalObjectStore(data_dir)
    dispatcher = LocalDispatcher(data_dir, workers=workers, progress=progress)
    acceptance = accept_request(
        request, store=store, dispatcher=dispatcher, now=now(), request_source="local"
    )
    plan = acceptance.plan
    if acceptance.first_acceptance:
        message = (
            f"run {request.run_id} accepted for {acceptance.submission.run_date}: "
            f"{plan.total_points} point(s) in {plan.shard_count} shard(s) on "
            f"{dispatcher.workers} worker(s); data in {store.root}"
        )
    else:
        message = (
            f"run {request.run_id} was accepted before with this request; "
            f"{len(acceptance.report.records)} shard(s) had not run yet"
        )
    if acceptance.report.records:
        message += "\n" + dispatcher.summary.describe()
    return Execution(request.run_id, "local", message, run_status(store, request.run_id))


class SubmitClient(Protocol):
    """What :func:`submit_and_watch` needs of :class:`~sweeplib.client.SweepClient`."""

    def submit(self, request_body: Mapping[str, Any] | str | bytes) -> SubmitResult: ...


class _ShardBar:
    """A tqdm bar over a run's shards, fed by :func:`wait_for_completion`."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None

    def __call__(self, status: RunStatus) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=status.planned, unit="shard", desc="shards", file=sys.stderr)
        done = len(status.succeeded) + len(status.failed)
        self._bar.update(done - self._bar.n)
        self._bar.set_postfix_str(f"failed {len(status.failed)}", refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def submit_and_watch(
    request: SweepRequest,
    *,
    api_url: str | None = None,
    client: SubmitClient | None = None,
    bucket: str | None = None,
    store: ObjectStore | None = None,
    prefix: str = keys.DEFAULT_PREFIX,
    region: str | None = None,
    profile: str | None = None,
    poll_s: float = 10.0,
    timeout_s: float | None = None,
    progress: bool = True,
) -> Execution:
    """Submit ``request`` to the deployed API, then follow it until every shard has an
    outcome, with a progress bar over shards.

    Following reads the run's outcome objects in S3 (LIST calls, no Lambda invocations)
    with :func:`sweeplib.client.wait_for_completion`; without ``bucket`` (or ``store``)
    the run is submitted and not followed.

    Parameters
    ----------
    api_url
        The API's invoke URL with its stage; a :class:`~sweeplib.client.SweepClient` is
        made for it with ``region``/``profile``.
    client
        Instead of ``api_url``: any object with ``submit(body)`` (tests pass a fake).
    bucket, store
        Where the deployment writes outcomes: an S3 bucket name, or an object store.
    prefix
        The deployment's base key prefix.
    poll_s, timeout_s
        Seconds between polls; give up after ``timeout_s`` (``None``: wait).

    Raises
    ------
    InvalidRequest
        Neither ``api_url`` nor ``client``; refused by the API (400).
    RunConflict
        409: the run id was accepted before with another request.
    WaitTimedOut
        ``timeout_s`` passed with shards missing.
    """
    from sweeplib.client import SweepClient, aws_session, wait_for_completion

    if client is None:
        if not api_url:
            raise InvalidRequest("api_url", "the lambda backend needs the API's invoke URL")
        session = aws_session(profile=profile, region=region)
        client = SweepClient(api_url, session=session, region=region)
    result = client.submit(request.to_json_dict())
    if result.replayed:
        message = (
            f"run {result.run_id} was already accepted with this request (replay): nothing "
            "enqueued again"
        )
    else:
        message = (
            f"run {result.run_id} accepted: {result.total_points} point(s), "
            f"{result.shards_dispatched} shard(s) enqueued"
        )
    if store is None and bucket is not None:
        from sweeplib.storage.s3 import S3ObjectStore

        store = S3ObjectStore(bucket, session=aws_session(profile=profile, region=region))
    if store is None:
        return Execution(result.run_id, "lambda", message + " (not followed: no bucket)", None)
    bar = _ShardBar(progress)
    try:
        status = wait_for_completion(
            store,
            result.run_id,
            prefix=prefix,
            poll_s=poll_s,
            timeout_s=timeout_s,
            on_progress=bar,
        )
    finally:
        bar.close()
    return Execution(result.run_id, "lambda", message, status)


def execute_sweep(
    request: SweepRequest,
    *,
    backend: str = "local",
    execute: bool = True,
    data_dir: str | os.PathLike[str] = "data",
    workers: int | None = None,
    api_url: str | None = None,
    bucket: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    poll_s: float = 10.0,
    timeout_s: float | None = None,
    progress: bool = True,
) -> Execution:
    """Run ``request`` here (``backend="local"``, :func:`run_locally`) or submit it to the
    deployed API and follow it (``"lambda"``, :func:`submit_and_watch`).

    With ``execute=False`` nothing runs: the :class:`Execution` says so (a notebook's
    safe default).

    Raises
    ------
    InvalidRequest
        An unknown backend, or the lambda backend without ``api_url``.
    """
    if backend not in ("local", "lambda"):
        raise InvalidRequest("backend", f"must be 'local' or 'lambda', got {backend!r}")
    if not execute:
        where = f"in {data_dir}" if backend == "local" else f"to {api_url}"
        return Execution(
            request.run_id,
            backend,
            f"execute is False: run {request.run_id} was not run {where}. "
            "Set execute = True to run it.",
            None,
        )
    if backend == "local":
        return run_locally(request, data_dir=data_dir, workers=workers, progress=progress)
    return submit_and_watch(
        request,
        api_url=api_url,
        bucket=bucket,
        region=region,
        profile=profile,
        poll_s=poll_s,
        timeout_s=timeout_s,
        progress=progress,
    )
