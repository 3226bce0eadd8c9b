"""Designing a sweep in a notebook: the request, its plan, running or submitting it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib import services
from sweeplib.analysis._inputs import json_list, json_object, resolve_data_dir
from sweeplib.contracts import JSONScalar, SweepRequest, parse_sweep_request
from sweeplib.errors import InvalidRequest
from sweeplib.planning import compute_shard_plan
from sweeplib.progress import ShardProgress
from sweeplib.status import RunStatus
from sweeplib.storage import LocalObjectStore, keys
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
    dimensions: Mapping[str, Sequence[JSONScalar]] | str | None = None,
    *,
    design: Mapping[str, Any] | str | None = None,
    replications: int = 1,
    seeding: str = "independent",
    seed: int = 0,
    shard_count: int | None = None,
    shard_size: int | None = None,
    max_shards: int | None = None,
    failure_injection_shards: Sequence[int] | str = (),
) -> SweepRequest:
    """A validated sweep request from notebook parameters (every value of every dimension
    is checked, as the API would).

    Give ``dimensions`` for a grid of listed values, or ``design`` (a
    :func:`sweeplib.designs.design_from_spec` object: kind, ranges, choices, fixed,
    samples, seed) for any other design, which travels as explicit points.

    ``dimensions``, ``design`` and ``failure_injection_shards`` may also be JSON text
    (what ``papermill -p`` passes): ``'{"num_riders": [100, 200]}'``.

    Raises
    ------
    InvalidRequest
        The request breaks a rule (``field`` names it), e.g. neither ``shard_count`` nor
        ``shard_size`` given, or both ``dimensions`` and ``design``; a JSON-text
        parameter that does not parse, or is not an object (array for
        ``failure_injection_shards``).
    """
    dimensions = json_object("dimensions", dimensions)
    design = json_object("design", design)
    failure_injection_shards = json_list("failure_injection_shards", failure_injection_shards)
    body: dict[str, Any] = {"run_id": run_id}
    if design is not None:
        if dimensions:
            raise InvalidRequest("design", "give either dimensions (a grid) or a design, not both")
        from sweeplib.designs import design_from_spec  # numpy; scipy/SALib only if needed

        made = design_from_spec(design).request(run_id)
        body.update({key: made[key] for key in ("dimensions", "points", "design") if key in made})
    elif dimensions is not None:
        body["dimensions"] = {  # anything but a list is refused by the request's checks
            name: list(values) if isinstance(values, tuple) else values
            for name, values in dimensions.items()
        }
    else:
        raise InvalidRequest("dimensions", "give dimensions (a grid) or a design")
    body.update(
        seed=seed,
        replications=replications,
        seeding=seeding,
        failure_injection_shards=list(failure_injection_shards),
    )
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
    if request.points is None:
        varied = " × ".join(f"{n} ({len(v)})" for n, v in request.dimensions.items())
    else:
        varied = ", ".join(request.points.names)
    rule = "seed XOR replicate" if request.seeding == "common" else "seed XOR i"
    rows = [
        ("run_id", request.run_id),
        ("design", f"{request.design_kind}: {request.design_points:,} design points"),
        ("dimensions", varied),
        ("replications", f"{request.replications} ({request.seeding} seeding)"),
        ("points", f"{plan.total_points:,}"),
        ("shards", f"{plan.shard_count:,} ({plan.shard_strategy})"),
        ("points per shard", per_shard),
        ("max_shards", f"{plan.max_shards:,}"),
        ("seed", f"{request.seed} (point i runs with {rule})"),
        (
            "failure_injection_shards",
            ", ".join(str(s) for s in request.failure_injection_shards) or "none",
        ),
        ("request_fingerprint", request.request_fingerprint),
        ("config_fingerprint", request.config_fingerprint),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def dimension_table(request: SweepRequest) -> pd.DataFrame:
    """One row per dimension: its values, how many, and whether any value repeats
    (repeated values are replications of a point, each with its own seed). For a
    ``points`` design: each dimension's distinct values."""
    rows = []
    columns: Mapping[str, Sequence[JSONScalar]] = request.dimensions
    if request.points is not None:
        columns = {n: list(dict.fromkeys(v)) for n, v in request.points.columns().items()}
    for name, values in columns.items():
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


def run_locally(
    request: SweepRequest,
    *,
    data_dir: str | os.PathLike[str],
    workers: int | None = None,
    progress: bool = True,
    now: Callable[[], dt.datetime] = services.utc_now,
) -> Execution:
    """Accept and run ``request`` on this machine (:func:`sweeplib.services.run_local`,
    the ``sweep run`` path); ``now`` is the clock.

    A process pool runs the Lambda's own worker with a progress bar over points; running
    the same request again resumes it, the same run id with another request is refused.
    A relative ``data_dir`` is resolved against the project root
    (:func:`~sweeplib.analysis.resolve_data_dir`); the folder is created if missing.

    Raises
    ------
    RunConflict
        The run id was accepted before with another request.
    """
    data_dir = resolve_data_dir(data_dir, must_exist=False)
    local = services.run_local(
        request, data_dir=data_dir, workers=workers, progress=progress, now=now()
    )
    found = services.status(LocalObjectStore(data_dir), request.run_id)
    return Execution(request.run_id, "local", local.describe(), found)


class SubmitClient(Protocol):
    """What :func:`submit_and_watch` needs of :class:`~sweeplib.client.SweepClient`."""

    def submit(self, request_body: Mapping[str, Any] | str | bytes) -> SubmitResult: ...


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
    with :func:`sweeplib.services.watch`; without ``bucket`` (or ``store``) the run is
    submitted and not followed.

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
    if client is None:
        if not api_url:
            raise InvalidRequest("api_url", "the lambda backend needs the API's invoke URL")
        from sweeplib.aws import aws_session
        from sweeplib.client import SweepClient

        session = aws_session(profile=profile, region=region)
        client = SweepClient(api_url, session=session, region=region)
    result = client.submit(request.to_json_dict())
    message = result.describe()
    if store is None and bucket is not None:
        from sweeplib.storage.s3 import S3ObjectStore

        store = S3ObjectStore.open(bucket, profile=profile, region=region)
    if store is None:
        return Execution(result.run_id, "lambda", message + " (not followed: no bucket)", None)
    bar = ShardProgress(result.run_id, enabled=progress)
    try:
        status = services.watch(
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
    safe default). A relative ``data_dir`` is resolved against the project root
    (:func:`~sweeplib.analysis.resolve_data_dir`) and named absolute in the message.

    Raises
    ------
    InvalidRequest
        An unknown backend, or the lambda backend without ``api_url``.
    """
    if backend not in ("local", "lambda"):
        raise InvalidRequest("backend", f"must be 'local' or 'lambda', got {backend!r}")
    if backend == "local":
        data_dir = resolve_data_dir(data_dir, must_exist=False)
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
