"""Test data built once: sweep requests, shard messages, small runs, Parquet rows.

Plain functions, no fixtures: each test module wraps what it needs in a fixture of the
scope it wants. Runs go through the real service layer (:func:`sweeplib.services.submit`)
with :class:`~sweeplib.dispatch.inline.InlineDispatcher`, so they are exactly what the
Lambda would write, without processes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sweeplib import services
from sweeplib.contracts import DEFAULT_LIMITS, Limits, ShardMessage, parse_sweep_request
from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.planning import compute_shard_plan, shard_messages
from sweeplib.storage.local import LocalObjectStore
from sweeplib.storage.store import ObjectStore

#: The request fixtures, among them the runbook's request, and that request's fingerprints.
#: The pins are a contract: changing them is a schema version bump, not a refactor.
REQUEST_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "requests"
DEMO_REQUEST_FILE = REQUEST_FIXTURES / "demo-run-001.json"
DEMO_REQUEST_FINGERPRINT = "4086c1bfaec6aa4fcb3e7e3a941416b3038b3d24ed06845b99f1a4415baf8ba4"
DEMO_CONFIG_FINGERPRINT = "7e9bffe50677b53a2f0c3d1f1a7b4551363e2862f0d7847aa2373dbff767056b"

#: The clock of every run built here, and the run date it fixes.
NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)
RUN_DATE = "2026-02-14"

#: Four cheap points (2 × 2), with trips: the default of :func:`request_body`.
SMALL_DIMENSIONS: Mapping[str, list[Any]] = {
    "num_riders": [40, 60],
    "num_drivers": [15],
    "match_radius": [3],
    "commission_rate": [0.1, 0.2],
}

#: Four points busy enough for trips and snapshots to analyse (10:00, radius 4); the
#: repeated ``num_riders`` value gives two seeds per parameter point.
BUSY_DIMENSIONS: Mapping[str, list[Any]] = {
    "epoch_ms": [36_000_000],
    "match_radius": [4],
    "num_drivers": [30, 60],
    "num_riders": [150, 150],
}

#: No planning cap worth the name, for plans of many one-point shards.
UNLIMITED = Limits(max_points=10**9)


def request_body(run_id: str = "fn-run", **changes: Any) -> dict[str, Any]:
    """A small request body (3 shards of :data:`SMALL_DIMENSIONS`, seed 11, no injected
    failure) with some fields replaced."""
    body: dict[str, Any] = {
        "run_id": run_id,
        "dimensions": dict(SMALL_DIMENSIONS),
        "shard_count": 3,
        "seed": 11,
        "failure_injection_shards": [],
    }
    body.update(changes)
    return body


def messages_of(
    body: Mapping[str, Any], *, run_date: str = RUN_DATE, limits: Limits = DEFAULT_LIMITS
) -> list[ShardMessage]:
    """The shard messages of a request body, as accepted on ``run_date``."""
    request = parse_sweep_request(dict(body), limits)
    return list(shard_messages(request, compute_shard_plan(request, limits), run_date))


def one_point_shards(
    count: int,
    *,
    run_id: str = "dispatch-test",
    failure_injection_shards: Sequence[int] = (),
    **extra_dimensions: list[Any],
) -> list[ShardMessage]:
    """``count`` one-point shards (``num_riders`` 1…count, a few milliseconds each to
    run), plus any extra dimensions' values in every message (to make messages larger)."""
    body = {
        "run_id": run_id,
        "dimensions": {"num_riders": list(range(1, count + 1)), **extra_dimensions},
        "shard_count": count,
        "failure_injection_shards": list(failure_injection_shards),
    }
    return messages_of(body, limits=UNLIMITED)


def submit_inline(
    store: ObjectStore,
    body: Mapping[str, Any],
    *,
    now: dt.datetime = NOW,
    request_source: str = "local",
) -> services.Acceptance:
    """Accept ``body`` and run every shard in this process: the service layer with the
    in-process dispatcher, writing to ``store``."""
    return services.submit(
        parse_sweep_request(dict(body)),
        store=store,
        dispatcher=InlineDispatcher(store, clock=lambda: now),
        now=now,
        request_source=request_source,
    )


def runs_on_disk(data_dir: str | os.PathLike[str], *bodies: Mapping[str, Any]) -> LocalObjectStore:
    """Run every request body in turn into a local folder; the folder's store."""
    store = LocalObjectStore(data_dir)
    for body in bodies:
        submit_inline(store, body)
    return store


def two_runs_on_disk(
    data_dir: str | os.PathLike[str],
    run_a: str,
    run_b: str,
    *,
    dimensions: Mapping[str, list[Any]] = BUSY_DIMENSIONS,
    seed_b: int = 1_000_003,
) -> LocalObjectStore:
    """Two small runs of the same points in 3 shards each, for analyses and comparisons:
    ``run_a`` (seed 1, shard 2 fails on purpose) and ``run_b`` (``seed_b``, no failure;
    the default is far from A's seeds)."""
    return runs_on_disk(
        data_dir,
        request_body(run_a, dimensions=dict(dimensions), seed=1, failure_injection_shards=[2]),
        request_body(run_b, dimensions=dict(dimensions), seed=seed_b),
    )


def trip_rows(n: int) -> list[dict[str, Any]]:
    """``n`` rows of the trip_data schema, every column exercised (nulls included)."""
    return [
        {
            "trip_entity": (1 << 32) | i,
            "rider_entity": i,
            "driver_entity": 2 * i,
            "state": i % 4,
            "pickup_cell": 617_700_169_958_293_503 + i,
            "dropoff_cell": 617_700_169_958_293_503 - i,
            "pickup_distance_km_at_accept": i / 7,
            "requested_at": 1000 * i,
            "matched_at": 1000 * i + 5,
            "pickup_at": None if i % 3 else 1000 * i + 50,
            "dropoff_at": None,
            "cancelled_at": 1000 * i + 60 if i % 4 == 3 else None,
        }
        for i in range(n)
    ]


def ignored_factor_saltelli(run_id: str) -> dict[str, Any]:
    """A request body of a 32-point Saltelli design over ``num_drivers`` and
    ``surge_max_multiplier`` with surge **disabled** (the kernel ignores the multiplier: its
    Sobol' indices must be 0), on common random numbers."""
    from sweeplib.designs import Range, make_design

    design = make_design(
        "saltelli",
        [Range("num_drivers", 20, 80, integer=True), Range("surge_max_multiplier", 1.0, 3.0)],
        samples=8,
        seed=3,
        fixed={
            "surge_enabled": False,
            "num_riders": 120,
            "match_radius": 3,
            "epoch_ms": 36_000_000,
            "commission_rate": 0.2,
        },
    )
    return design.request(run_id, seeding="common", seed=4, shard_size=16)
