"""Timings of the research statistics at the scale of the largest run (``make bench-stats``).

Two parts:

1. **In memory** — a synthetic points frame of ``--points`` rows (200,000 by default: the
   largest plan the API accepts) with three factors (3 × 10 × 4 combinations) and ten
   replicates each: :func:`~sweeplib.analysis.effects` (OLS on the cell statistics, EMMs,
   type II ANOVA), :func:`~sweeplib.analysis.contrasts` (2 treatments × 160 strata × 2
   metrics), :func:`~sweeplib.analysis.design_point_summary`, and
   :func:`~sweeplib.analysis.sensitivity_report` of a Saltelli design of the same size.
2. **On a run folder** (``--data-dir`` and ``--run-id``, e.g. a run that
   ``make bench-analysis`` built): :func:`~sweeplib.analysis.run_points` and
   :func:`~sweeplib.analysis.run_report` on DuckDB.

Prints the median of ``--repeat`` runs of each. Usage::

    python -m benchmarks.statistics [--points 200000] [--repeat 3]
        [--data-dir /tmp/sweeplib-bench/200k --run-id bench-200000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sweeplib import analysis
from sweeplib.designs import Range, make_design


def _median(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def grid_frame(points: int, seed: int = 0) -> pd.DataFrame:
    """``points`` rows over commission_rate (3) × num_drivers (10) × num_riders (4), ten
    replicates per design point, an additive metric with noise."""
    rng = np.random.default_rng(seed)
    rate = rng.choice([0.1, 0.2, 0.3], points)
    drivers = rng.choice(np.arange(50, 550, 50), points)
    riders = rng.choice([300, 600, 900, 1200], points)
    frame = pd.DataFrame(
        {
            "seed": rng.integers(1 << 40, size=points),
            "replicate": np.arange(points) % 10,
            "design_point": np.arange(points) // 10,
            "commission_rate": rate,
            "num_drivers": drivers,
            "num_riders": riders,
            "platform_revenue": 100 * rate + drivers / 100 + rng.normal(size=points),
            "conversion_rate": 0.2 + drivers / 5000 + rng.normal(0, 0.05, size=points),
        }
    )
    frame.attrs["dimensions"] = ("commission_rate", "num_drivers", "num_riders")
    return frame


def saltelli_frame(points: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A Saltelli design over two factors with about ``points`` points, and a metric of
    the first factor only."""
    factors = [Range("num_drivers", 20, 500, integer=True), Range("surge_max_multiplier", 1, 3)]
    design = make_design("saltelli", factors, samples=max(points // 4, 4), seed=1)
    unit = design.unit
    frame = pd.DataFrame(
        {
            "design_point": np.arange(len(design)),
            "replicate": 0,
            "seed": 7,
            "completed_trips": 50 * unit[:, 0] + np.sin(6 * unit[:, 0]),
        }
    )
    return frame, dict(design.provenance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--run-id", default=None)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeat}")
    frame = grid_frame(args.points)
    rows = [
        ("effects (3 factors, 2-way)", lambda: analysis.effects(frame, "platform_revenue")),
        (
            "contrasts (2 × 160 strata × 2)",
            lambda: analysis.contrasts(
                frame,
                {"commission_rate": 0.1},
                metrics=["platform_revenue", "conversion_rate"],
            ),
        ),
        (
            "design_point_summary (2 metrics)",
            lambda: analysis.design_point_summary(frame, ["platform_revenue", "conversion_rate"]),
        ),
    ]
    salt, provenance = saltelli_frame(args.points)
    rows.append(
        (
            f"sensitivity_report (Saltelli, {len(salt):,} points)",
            lambda: analysis.sensitivity_report(salt, provenance, "completed_trips"),
        )
    )
    print(f"{'in memory, ' + format(args.points, ',') + ' points':45} {'median':>9}")
    for name, call in rows:
        seconds, _ = _median(call, args.repeat)
        print(f"{name:45} {seconds:8.2f} s")
    if args.data_dir and args.run_id:
        engine = analysis.open_engine("local", data_dir=args.data_dir)
        seconds, points = _median(lambda: analysis.run_points(engine, args.run_id), args.repeat)
        print(f"{'run_points ' + args.run_id + f' ({len(points):,} rows)':45} {seconds:8.2f} s")
        seconds, report = _median(lambda: analysis.run_report(engine, args.run_id), args.repeat)
        label = f"run_report {args.run_id} ({len(report.effects)} effects)"
        print(f"{label:45} {seconds:8.2f} s")


if __name__ == "__main__":
    main()
