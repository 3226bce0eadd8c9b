"""Coupling of neighbouring seeds under each stream layout (``make bench-streams``).

SIM_SPEC deviation 6: the original layout seeds per-entity streams with ``S + k``, so
runs with neighbouring scenario seeds share most of their random draws. This measures,
per layout, for the issue's scenario (300 riders, 60 drivers, match radius 5):

* ``block SD`` — the SD inside blocks of consecutive seeds (pooled over blocks);
* ``neighbour`` — the spread between neighbouring seeds, RMS(successive diff) / √2;
* ``lag-1 r`` — the correlation of neighbouring seeds' results (pooled);

each SD as a ratio to the SD over far-apart seeds (≈ 1 for independent runs).

Usage: ``python -m benchmarks.streams [--blocks 12] [--block-size 30] [--far 360]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sweeplib.sim import ScenarioParams, simulate
from sweeplib.sim.rng import MASK64

METRICS = ("conversion_rate", "completed_trips", "total_riders")
SCENARIO = dict(num_riders=300, num_drivers=60, match_radius=5)


def _metrics(job: tuple[int, str]) -> tuple[float, ...]:
    seed, layout = job
    result = simulate(ScenarioParams(**SCENARIO, seed=seed, rng_layout=layout))  # type: ignore[arg-type]
    return tuple(float(result.metrics[name]) for name in METRICS)


def far_apart_seeds(count: int, salt: int = 0) -> list[int]:
    return [((k + salt) * 0x9E3779B97F4A7C15 + 12345) & MASK64 for k in range(1, count + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--block-size", type=int, default=30)
    parser.add_argument("--far", type=int, default=360)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # Blocks start far apart; inside a block the seeds are consecutive.
    starts = far_apart_seeds(args.blocks, salt=10_000)
    print(
        f"scenario {SCENARIO}; {args.blocks} blocks of {args.block_size} consecutive "
        f"seeds vs {args.far} far-apart seeds"
    )
    print(f"{'layout':12} {'metric':16} {'block SD':>9} {'neighbour':>10} {'lag-1 r':>8}")
    with ProcessPoolExecutor(args.workers) as pool:
        for layout in ("independent", "original"):
            started = time.perf_counter()
            far_jobs = [(seed, layout) for seed in far_apart_seeds(args.far)]
            far = np.array(list(pool.map(_metrics, far_jobs, chunksize=8)))
            jobs = [(start + i, layout) for start in starts for i in range(args.block_size)]
            blocks = np.array(list(pool.map(_metrics, jobs, chunksize=8))).reshape(
                args.blocks, args.block_size, len(METRICS)
            )
            for m, name in enumerate(METRICS):
                far_sd = statistics.stdev(far[:, m])
                block_var = statistics.fmean(statistics.variance(b[:, m]) for b in blocks)
                diffs = np.diff(blocks[:, :, m], axis=1)
                neighbour = math.sqrt(float(np.mean(diffs**2)) / 2.0)
                centred = blocks[:, :, m] - blocks[:, :, m].mean(axis=1, keepdims=True)
                lag1 = float(np.sum(centred[:, 1:] * centred[:, :-1]) / np.sum(centred**2))
                print(
                    f"{layout:12} {name:16} {math.sqrt(block_var) / far_sd:9.2f} "
                    f"{neighbour / far_sd:10.2f} {lag1:8.2f}"
                )
            print(f"{layout:12} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
