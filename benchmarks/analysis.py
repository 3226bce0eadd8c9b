"""Analysis benchmark (``make bench-analysis``): named queries before and after consolidation.

For each size (default 10,000 and 200,000 points) a synthetic run is built once into a
cached folder (``--cache``, default ``/tmp/sweeplib-bench``) by :mod:`benchmarks.synthetic_run`
— the real worker and storage writer, a cheap stand-in for the kernel — and reused.
Then, with the run's run-level tables removed:

* ``run_profile``, ``point_metrics`` and ``metric_by_dimension`` over the per-point
  tables (``--repeat-before`` times each; medians);
* ``sweep compact``'s consolidation (DuckDB), its time, and the bytes per point of the
  points table (and of the run's per-point objects, for scale);
* every single-run named query over the run-level tables (``--repeat`` times; medians).

Usage: ``python -m benchmarks.analysis [--sizes 10000,200000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.synthetic_run import build_run
from sweeplib.consolidation import consolidate_local
from sweeplib.query import DuckDBQueryEngine
from sweeplib.query.named import run_named
from sweeplib.storage import LocalObjectStore, keys

QUERIES: dict[str, dict[str, object]] = {
    "run_profile": {},
    "shard_coverage": {},
    "failure_diagnostics": {},
    "point_metrics": {},
    "metric_by_dimension": {"dimension": "num_drivers", "metric": "conversion_rate"},
    "point_parameters": {},
    "point_trips_snapshots": {},
    "marketplace_timeseries": {"bucket_seconds": 60},
    "wait_time_histogram": {"bucket_seconds": 30},
    "compare_runs": {},
}
BEFORE = ("run_profile", "point_metrics", "metric_by_dimension")
TARGETS = {
    10_000: {"point_metrics before": 5.0, "point_metrics after": 0.5},
    200_000: {"consolidation": 300.0, "every query after": 2.0, "bytes per point": 1024},
}


def _median(call: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def _run_folder(data: Path, run_id: str) -> tuple[LocalObjectStore, keys.RunAddress]:
    store = LocalObjectStore(data)
    context = next(k for k in store.list(keys.dataset_prefix("run_context")) if f"={run_id}/" in k)
    return store, keys.RunAddress.of(keys.parse_key(context).run_date, run_id)


def _unconsolidate(data: Path, store: LocalObjectStore, address: keys.RunAddress) -> None:
    key = address.consolidation_key()
    store.path(key).unlink(missing_ok=True)
    for dataset in keys.RUN_TABLE_DATASETS:
        folder = store.path(address.run_table_key(dataset, 0)).parent.parent
        shutil.rmtree(folder, ignore_errors=True)


def _bytes_under(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _values(name: str, run_id: str) -> dict[str, object]:
    if name == "compare_runs":
        return {"run_a": run_id, "run_b": run_id}
    return {"run_id": run_id, **QUERIES[name]}


class _Report(list[str]):
    """Lines printed as they are added (a long benchmark shows its progress)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def bench_size(
    points: int, cache: Path, repeat: int, repeat_before: int, *, before: bool = True
) -> list[str]:
    run_id = f"synthetic-{points}"
    data = cache / f"{points // 1000}k"
    report = _Report()
    report.append(f"== {points:,}-point synthetic run ({data})")
    if not (data / keys.DEFAULT_PREFIX).is_dir():
        seconds = build_run(data, points, run_id)
        report.append(f"built once in {seconds:.0f} s (real worker and writer, synthetic metrics)")
    store, address = _run_folder(data, run_id)
    _unconsolidate(data, store, address)
    with DuckDBQueryEngine(data) as engine:
        for name in BEFORE if before else ():
            median, low, high = _median(
                lambda name=name: run_named(engine, name, _values(name, run_id)), repeat_before
            )
            report.append(
                f"before  {name:<24} {median:8.2f} s  (min {low:.2f}, max {high:.2f}; "
                f"n={repeat_before})"
            )
    compactions = []
    record = None
    for _ in range(repeat_before):
        _unconsolidate(data, store, address)
        started = time.perf_counter()
        record = consolidate_local(store, run_id, now=dt.datetime.now(dt.UTC))
        compactions.append(time.perf_counter() - started)
    assert record is not None
    report.append(
        f"consolidation (DuckDB)           {statistics.median(compactions):8.2f} s  "
        f"(n={len(compactions)}): {record.points:,} points, {record.trips:,} trip rows, "
        f"{record.snapshots:,} snapshot rows"
    )
    points_bytes = store.path(address.run_table_key("run_points", record.generation)).stat().st_size
    per_point = sum(
        _bytes_under(store.path(address.dataset_prefix(d) + "x").parent)
        for d in keys.POINT_DATASETS
    )
    report.append(
        f"points table: {points_bytes / record.points:,.0f} bytes per point "
        f"({points_bytes / 1e6:.1f} MB); per-point objects: {per_point / record.points:,.0f} "
        "bytes per point"
    )
    slowest = 0.0
    with DuckDBQueryEngine(data) as engine:
        for name in QUERIES:
            median, low, high = _median(
                lambda name=name: run_named(engine, name, _values(name, run_id)), repeat
            )
            slowest = max(slowest, median)
            report.append(
                f"after   {name:<24} {median:8.3f} s  (min {low:.3f}, max {high:.3f}; n={repeat})"
            )
    report.append(f"slowest named query after consolidation: {slowest:.3f} s")
    for target, limit in TARGETS.get(points, {}).items():
        report.append(f"target {target}: <= {limit:g}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,200000", help="points per run, comma-separated")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sweeplib-bench"))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query after")
    parser.add_argument(
        "--repeat-before", type=int, default=3, help="runs of each query before, and compactions"
    )
    parser.add_argument(
        "--no-before",
        default="",
        metavar="SIZES",
        help="sizes whose queries before consolidation are skipped (comma-separated)",
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cpus)"
    )
    skipped = {int(s) for s in args.no_before.split(",") if s}
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args.cache, args.repeat, args.repeat_before, before=size not in skipped)
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
