"""SIM_SPEC deviation 6: independent streams across seeds, and the original layout."""

from __future__ import annotations

import hashlib
import itertools
import math
import statistics

import numpy as np
import pytest
from scipy import stats

from sweeplib.sim import ScenarioError, ScenarioParams, simulate
from sweeplib.sim.rng import MASK64, Stream, stream_seeds

# The scenario of the measurement: 300 riders, 60 drivers, match radius 5.
COUPLED = dict(num_riders=300, num_drivers=60, match_radius=5)
N = 30


def _run(seed: int, layout: str) -> dict[str, float]:
    return simulate(ScenarioParams(**COUPLED, seed=seed, rng_layout=layout)).metrics


def _far_apart_seeds(n: int) -> list[int]:
    """Seeds spread over the whole 64-bit range (no two within 10^15 of each other)."""
    return [(k * 0x9E3779B97F4A7C15 + 12345) & MASK64 for k in range(1, n + 1)]


def neighbour_spread(series: list[float]) -> float:
    """The spread between neighbouring seeds: RMS of successive differences over √2.

    For independent runs it estimates the SD; a lag-1 correlation ρ shrinks it by √(1−ρ).
    """
    diffs = np.diff(np.asarray(series, dtype=float))
    return math.sqrt(float(np.mean(diffs**2)) / 2.0)


def test_original_layout_keeps_the_rust_kernels_seed_arithmetic():
    seeds = stream_seeds(1000, "original")
    assert seeds.rider_arrival == 1000
    assert seeds.driver_arrival == seeds.decision == 1000 + 3_735_928_559
    assert seeds.quote == 1000 + 485_607_325_423
    assert seeds.cancel == 1000 + 3_405_691_582
    assert seeds.speed == 1000 ^ 1_592_642_302
    assert stream_seeds(MASK64, "original").rider_arrival == MASK64
    assert stream_seeds(MASK64, "original").quote == 485_607_325_423 - 1  # wraps at 64 bits


def test_original_layout_reproduces_the_kernel_before_deviation_6_to_the_bit():
    """Digest of this scenario's outputs computed with the kernel of commit 3a2aa52."""
    result = simulate(ScenarioParams(**COUPLED, seed=42, rng_layout="original"))
    digest = hashlib.sha256()
    for columns in (result.trip_data, result.snapshot_counts):
        for name, column in columns.items():
            digest.update(name.encode())
            digest.update(np.ma.getdata(column).tobytes())
            digest.update(np.ma.getmaskarray(column).tobytes())
    digest.update(repr(sorted(result.metrics.items())).encode())
    assert (result.events_processed, result.metrics["completed_trips"]) == (3419, 4)
    assert digest.hexdigest() == "b7bc225c2300c87594633471d3571a33c09f998b5bd6375edcd7e4ac98daa3ca"


def test_independent_bases_are_unrelated_across_seeds_and_families():
    bases = [stream_seeds(seed) for seed in range(200)]
    values = [
        value
        for seeds in bases
        for value in (
            seeds.rider_arrival,
            seeds.driver_arrival,
            seeds.quote,
            seeds.cancel,
            seeds.decision,
            seeds.speed,
        )
    ]
    assert len(set(values)) == len(values)
    # No base lies within a run's entity count of another: no shared streams.
    ordered = sorted(values)
    assert min(b - a for a, b in itertools.pairwise(ordered)) > 10**9
    # Rider arrival k of seed S no longer replays arrival k-1 of seed S+1.
    first = Stream(stream_seeds(7).rider_arrival + 5).uniform()
    assert first != Stream(stream_seeds(8).rider_arrival + 4).uniform()
    original = stream_seeds(7, "original"), stream_seeds(8, "original")
    assert (
        Stream(original[0].rider_arrival + 5).uniform()
        == Stream(original[1].rider_arrival + 4).uniform()
    )


def test_layout_is_a_checked_scenario_parameter():
    assert ScenarioParams().rng_layout == "independent"
    with pytest.raises(ScenarioError, match="rng_layout: must be one of independent, original"):
        ScenarioParams(rng_layout="legacy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rng_layout"):
        stream_seeds(1, "legacy")  # type: ignore[arg-type]


def test_explicit_quote_and_decision_seeds_are_kept_under_either_layout():
    from sweeplib.sim.params import DriverDecisionConfig, RiderQuoteConfig

    params = ScenarioParams(
        seed=3,
        rider_quote_config=RiderQuoteConfig(seed=11),
        driver_decision_config=DriverDecisionConfig(seed=12),
    )
    assert (params.resolved_rider_quote.seed, params.resolved_driver_decision.seed) == (11, 12)
    assert ScenarioParams(seed=3).resolved_rider_quote.seed == stream_seeds(3).quote


@pytest.fixture(scope="module")
def series() -> dict[str, dict[str, np.ndarray]]:
    """Metrics over 60 far-apart seeds, 30 consecutive seeds (default layout) and 60
    consecutive seeds (original layout)."""
    runs = {
        "far": [(seed, "independent") for seed in _far_apart_seeds(2 * N)],
        "consecutive": [(seed, "independent") for seed in range(1000, 1000 + N)],
        "original": [(seed, "original") for seed in range(1000, 1000 + 2 * N)],
    }
    return {
        name: {
            metric: np.array([_run(seed, layout)[metric] for seed, layout in jobs], dtype=float)
            for metric in ("conversion_rate", "completed_trips", "total_riders")
        }
        for name, jobs in runs.items()
    }


def _neighbour_region(n: int) -> tuple[float, float]:
    """Two-sided 99 % acceptance region of neighbour spread / SD for n independent values
    (square root of von Neumann's ratio: mean 1, variance ≈ (n−2)/((n−1)(n+1)))."""
    z = stats.norm.ppf(0.995) * math.sqrt((n - 2) / ((n - 1) * (n + 1)))
    return math.sqrt(1 - z), math.sqrt(1 + z)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["conversion_rate", "completed_trips"])
def test_consecutive_seeds_spread_like_far_apart_seeds(series, metric):
    """Default layout: over 30 consecutive seeds the SD, and the spread between
    neighbours, match the SD over far-apart seeds within sampling error."""
    far, consecutive = series["far"][metric], series["consecutive"][metric]
    far_sd, sd = statistics.stdev(far), statistics.stdev(consecutive)
    # Ratio of SDs: inside the two-sided 99 % acceptance region of the F test.
    low, high = (math.sqrt(stats.f.ppf(q, N - 1, 2 * N - 1)) for q in (0.005, 0.995))
    assert low < sd / far_sd < high
    low, high = _neighbour_region(N)
    assert low < neighbour_spread(list(consecutive)) / sd < high
    assert low < neighbour_spread(list(consecutive)) / far_sd < high


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["conversion_rate", "completed_trips"])
def test_original_layout_still_couples_neighbouring_seeds(series, metric):
    """``rng_layout = "original"``: neighbouring seeds are far closer than independent
    runs can be (measured ≈ 0.57× the SD; rider counts ≈ 0.1×)."""
    far_sd = statistics.stdev(series["far"][metric])
    low, _ = _neighbour_region(2 * N)
    assert neighbour_spread(list(series["original"][metric])) / far_sd < low
    riders = series["original"]["total_riders"]
    assert neighbour_spread(list(riders)) / statistics.stdev(series["far"]["total_riders"]) < 0.4
