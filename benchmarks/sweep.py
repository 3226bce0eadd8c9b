"""Local sweep benchmark (part of ``make bench``).

Runs one 8-point sweep (8 shards of one point, a busy Thursday-08:00 scenario) through the
real local runner — process pool, worker, Parquet, local store — with 1 and with 2 worker
processes, several times each in fresh data folders, and prints medians:

* wall time with 1 and 2 workers and the **parallel efficiency** ``T1 / (2 × T2)``;
* the share of the workers' time spent **outside the kernel** (building, encoding and
  writing the Parquet objects and records), from the worker's own timings.

Usage: ``python -m benchmarks.sweep [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time

from sweeplib import services
from sweeplib.contracts import parse_sweep_request
from sweeplib.local import LocalDispatcher
from sweeplib.storage import LocalObjectStore

REQUEST = {
    "run_id": "bench-sweep",
    "dimensions": {
        "commission_rate": [0.1, 0.2],
        "epoch_ms": [28_800_000],
        "match_radius": [5],
        "num_drivers": [300, 400],
        "num_riders": [1500, 2000],
    },
    "shard_size": 1,
    "seed": 7,
}
TARGET_EFFICIENCY = 0.85
TARGET_OUTSIDE_KERNEL = 0.05


def one_run(workers: int) -> tuple[float, float, float]:
    """(wall s, kernel s, outside-kernel s) of one fresh local run."""
    request = parse_sweep_request(REQUEST)
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as data:
        dispatcher = LocalDispatcher(data, workers=workers, progress=False)
        services.submit(
            request,
            store=LocalObjectStore(data),
            dispatcher=dispatcher,
            now=dt.datetime.now(dt.UTC),
            request_source="bench",
        )
        summary = dispatcher.summary
        if len(summary.shards("success")) != 8:
            raise SystemExit(f"benchmark run failed: {summary.describe()}")
        return summary.wall_seconds, summary.kernel_seconds, summary.io_seconds


def _spin(_: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i * i
    return time.perf_counter() - started


def machine_ceiling(repeat: int) -> float:
    """Efficiency of a pure CPU loop on 2 processes vs 1: what this machine allows."""
    context = multiprocessing.get_context("spawn")
    alone, together = [], []
    for _ in range(repeat):
        with context.Pool(1) as pool:
            alone.extend(pool.map(_spin, range(1)))
        with context.Pool(2) as pool:
            together.extend(pool.map(_spin, range(2)))
    return statistics.median(alone) / statistics.median(together)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count (default 3)")
    args = parser.parse_args()
    print(f"8-point local sweep (8 shards), {args.repeat} runs per worker count; medians")
    walls: dict[int, float] = {}
    kernel_total = outside_total = 0.0
    for workers in (1, 2):
        runs = [one_run(workers) for _ in range(args.repeat)]
        walls[workers] = statistics.median(r[0] for r in runs)
        kernel_total += sum(r[1] for r in runs)
        outside_total += sum(r[2] for r in runs)
        spread = f"min {min(r[0] for r in runs):.2f}, max {max(r[0] for r in runs):.2f}"
        print(f"  {workers} worker(s): {walls[workers]:.2f} s ({spread})")
    efficiency = walls[1] / (2 * walls[2])
    ceiling = machine_ceiling(args.repeat)
    share = outside_total / (kernel_total + outside_total)
    verdict = "met" if efficiency >= TARGET_EFFICIENCY else "NOT met"
    print(
        f"parallel efficiency with 2 workers: {efficiency:.1%} "
        f"(target >= {TARGET_EFFICIENCY:.0%}: {verdict})"
    )
    print(
        f"  for scale: a pure CPU loop runs at {ceiling:.1%} of its single-process speed when "
        "two run at once on this machine (shared cores/caches cap any 2-worker efficiency)"
    )
    print(
        f"worker time outside the kernel (Parquet encode + write): {share:.2%} "
        f"(target <= {TARGET_OUTSIDE_KERNEL:.0%}: "
        f"{'met' if share <= TARGET_OUTSIDE_KERNEL else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
