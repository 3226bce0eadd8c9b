"""``simulate``: build a world, run it, collect the outputs (SIM_SPEC §2.3, §8)."""

from __future__ import annotations

import gc
from typing import Any

from sweeplib.sim.engine import Simulation
from sweeplib.sim.outputs import (
    SimulationResult,
    distribution_stats,
    snapshot_columns,
    trip_columns,
)
from sweeplib.sim.params import ScenarioParams

__all__ = ["DEFAULT_MAX_STEPS", "collect_metrics", "simulate"]

#: The sweep runner's step cap per point.
DEFAULT_MAX_STEPS = 2_000_000


def simulate(params: ScenarioParams, *, max_steps: int = DEFAULT_MAX_STEPS) -> SimulationResult:
    """Run one scenario to its end time (or ``max_steps`` events).

    Parameters
    ----------
    params
        The scenario. Deterministic: the same params give identical outputs.
    max_steps
        Cap on processed events.

    ``params`` were checked when they were constructed; nothing is checked again.
    """
    # The cyclic collector stays off until the world is released: a run creates no
    # garbage cycles, so its passes would only re-scan the live world (after the run,
    # while the outputs are collected, ~7 % of a large run's time) and, once the
    # world is dropped, free it (another ~0.1 s); released, reference counting frees it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        simulation = Simulation(params)
        simulation.initialize()
        simulation.run(max_steps)
        result = SimulationResult(
            metrics=collect_metrics(simulation),
            trip_data=trip_columns(simulation.snapshotted_trips.values()),
            snapshot_counts=snapshot_columns(simulation.snapshots),
            events_processed=simulation.events_processed,
            final_time_ms=simulation.now,
        )
        simulation.release()
        del simulation
    finally:
        if collecting:
            gc.enable()
    return result


def collect_metrics(simulation: Simulation) -> dict[str, Any]:
    """The per-run metrics of SIM_SPEC §8.5, from the final world."""
    completed = simulation.riders_completed
    cancelled = simulation.riders_cancelled
    abandoned = simulation.riders_abandoned_quote
    total = completed + cancelled + abandoned
    payouts = 0.0
    for driver in simulation.drivers:
        payouts += driver.daily_earnings
    match_avg, match_median, match_p90 = distribution_stats(simulation.time_to_match)
    pickup_avg, pickup_median, pickup_p90 = distribution_stats(simulation.time_to_pickup)
    return {
        "total_riders": total,
        "completed_riders": completed,
        "abandoned_quote_riders": abandoned,
        "cancelled_riders": cancelled,
        "conversion_rate": completed / total if total else 0.0,
        "platform_revenue": simulation.platform_revenue,
        "driver_payouts": payouts,
        "total_fares_collected": simulation.total_fares,
        "avg_time_to_match_ms": match_avg,
        "median_time_to_match_ms": match_median,
        "p90_time_to_match_ms": match_p90,
        "avg_time_to_pickup_ms": pickup_avg,
        "median_time_to_pickup_ms": pickup_median,
        "p90_time_to_pickup_ms": pickup_p90,
        "completed_trips": len(simulation.time_to_match),
        "riders_abandoned_price": simulation.abandoned_price,
        "riders_abandoned_eta": simulation.abandoned_eta,
        "riders_abandoned_stochastic": simulation.abandoned_stochastic,
        "total_drivers": len(simulation.drivers),
    }
