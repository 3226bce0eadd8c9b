"""Synthetic runs for the analysis benchmark: the real write path, a cheap stand-in kernel.

:func:`build_run` accepts a request with :func:`sweeplib.services.submit` (submission
record, run_context, dispatch ledger) and runs every shard with the real
:func:`sweeplib.worker.execute_shard` — same keys, same Parquet encoding, same success
records — except that each point's simulation is replaced by :func:`synthetic_point`:
metrics, trips and snapshots drawn from the point's seed in microseconds instead of the
kernel's seconds. Only the numbers are synthetic; the objects are what a run writes.

Usage (builds once into a folder and reuses it)::

    python -m benchmarks.synthetic_run --points 10000 --data-dir /tmp/sweeplib-bench/10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sweeplib import services, worker
from sweeplib.contracts import ShardMessage, parameter_fingerprint, parse_sweep_request
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.experiments import (
    PointRun,
    effective_parameters_document,
    effective_parameters_json,
    scenario_for,
)
from sweeplib.planning import SweepPoint
from sweeplib.sim.outputs import SNAPSHOT_COLUMNS, TRIP_COLUMNS, SimulationResult
from sweeplib.storage import LocalObjectStore
from sweeplib.storage.schemas import SHARD_METRICS_SCHEMA

TRIPS_PER_POINT = 8
SNAPSHOTS_PER_POINT = 12


def request_for(points: int, run_id: str) -> dict[str, Any]:
    """A grid of ``points`` points (a multiple of 20) over five dimensions (at most 10,000
    values per dimension, as the request limits say)."""
    if points % 20:
        raise SystemExit("--points must be a multiple of 20")
    drivers = points // 20
    return {
        "run_id": run_id,
        "dimensions": {
            "commission_rate": [0.1, 0.2],
            "match_radius": [1, 2, 3, 4, 5],
            "num_drivers": list(range(10, 10 + drivers)),
            "num_riders": [100, 200],
            "surge_enabled": [False],
        },
        "shard_count": min(1000, max(1, points // 200)),
        "seed": 7,
    }


def synthetic_point(point: SweepPoint, *, max_steps: int = 0) -> PointRun:
    """A point's effective parameters (real) and synthetic outputs drawn from its seed."""
    del max_steps
    params = scenario_for(point.values, point.seed)
    document = effective_parameters_document(point.values, params)
    rng = np.random.default_rng(point.seed)
    riders = int(rng.integers(50, 500))
    completed = int(rng.integers(0, riders))
    metrics: dict[str, Any] = {}
    for field in SHARD_METRICS_SCHEMA:
        if str(field.type) == "double":
            metrics[field.name] = float(rng.random() * 1000)
        else:
            metrics[field.name] = int(rng.integers(0, riders))
    metrics["total_riders"] = riders
    metrics["completed_riders"] = completed
    metrics["conversion_rate"] = completed / riders
    trips: dict[str, Any] = {}
    for name, dtype in TRIP_COLUMNS:
        trips[name] = rng.integers(0, 1 << 20, TRIPS_PER_POINT).astype(dtype)
    trips["state"] = rng.integers(0, 4, TRIPS_PER_POINT).astype(np.uint8)
    trips["pickup_distance_km_at_accept"] = rng.random(TRIPS_PER_POINT) * 5
    for name in ("pickup_at", "dropoff_at", "cancelled_at"):
        trips[name] = np.ma.masked_array(trips[name], mask=rng.random(TRIPS_PER_POINT) < 0.3)
    snapshots = {
        name: rng.integers(0, 100, SNAPSHOTS_PER_POINT).astype(np.uint64)
        for name in SNAPSHOT_COLUMNS
    }
    snapshots["timestamp_ms"] = np.arange(SNAPSHOTS_PER_POINT, dtype=np.uint64) * 60_000
    result = SimulationResult(
        metrics=metrics,
        trip_data=trips,
        snapshot_counts=snapshots,
        events_processed=0,
        final_time_ms=0,
    )
    return PointRun(
        params=params,
        document=document,
        document_json=effective_parameters_json(document),
        parameter_fingerprint=parameter_fingerprint(document),
        result=result,
        wall_seconds=0.0,
    )


class SyntheticDispatcher:
    """Runs each shard with the real worker and :func:`synthetic_point` (in process)."""

    def __init__(self, store: LocalObjectStore, *, progress: bool = True) -> None:
        self.store = store
        self.progress = progress

    def dispatch(self, messages: Sequence[ShardMessage]) -> DispatchReport:
        real = worker.simulate_point
        worker.simulate_point = synthetic_point  # type: ignore[assignment]
        records = []
        started = time.perf_counter()
        try:
            for done, message in enumerate(messages, start=1):
                worker.execute_shard(message, self.store, dt.datetime.now(dt.UTC))
                records.append(DispatchRecord(message.shard_id, 200))
                if self.progress and done % 50 == 0:
                    rate = done / (time.perf_counter() - started)
                    print(f"  {done}/{len(messages)} shards ({rate:.1f}/s)", file=sys.stderr)
        finally:
            worker.simulate_point = real  # type: ignore[assignment]
        return DispatchReport(tuple(records))


def build_run(data_dir: Path, points: int, run_id: str, *, progress: bool = True) -> float:
    """Write a synthetic run of ``points`` points into ``data_dir``; returns seconds taken."""
    request = parse_sweep_request(request_for(points, run_id))
    store = LocalObjectStore(data_dir)
    started = time.perf_counter()
    services.submit(
        request,
        store=store,
        dispatcher=SyntheticDispatcher(store, progress=progress),
        now=dt.datetime.now(dt.UTC),
        request_source="bench",
    )
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--run-id", default=None)
    args = parser.parse_args(argv)
    run_id = args.run_id or f"synthetic-{args.points}"
    seconds = build_run(args.data_dir, args.points, run_id)
    print(f"built {run_id}: {args.points} points in {seconds:.1f} s into {args.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
