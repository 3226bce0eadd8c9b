"""Hand-built worlds for handler-level kernel tests."""

from __future__ import annotations

from typing import Any

import h3.api.basic_int as h3

from sweeplib.sim import EventKind, ScenarioParams, Simulation
from sweeplib.sim.entities import Driver, Rider

# A resolution-9 cell in central Berlin and some of its neighbourhood.
ORIGIN = h3.latlng_to_cell(52.52, 13.405, 9)


def ring(cell: int, k: int) -> list[int]:
    """Cells exactly ``k`` hops from ``cell``, in H3 order."""
    return sorted(c for c in h3.grid_disk(cell, k) if h3.grid_distance(cell, c) == k)


def empty_world(**changes: Any) -> Simulation:
    """A simulation with no spawners (0 riders/drivers configured) and an empty queue."""
    changes.setdefault("seed", 7)
    params = ScenarioParams(num_riders=0, num_drivers=0, **changes)
    return Simulation(params)


def driver_at(
    sim: Simulation, cell: int, *, target: float = 200.0, fatigue_h: float = 10.0
) -> Driver:
    return sim.add_driver(cell, target, int(fatigue_h * 3_600_000))


def browsing_rider(sim: Simulation, cell: int, destination: int) -> Rider:
    """A Browsing rider; its ShowQuote (+1 s) is removed from the queue."""
    rider = sim.add_rider(cell, destination)
    drop_events(sim)
    return rider


def waiting_rider(sim: Simulation, cell: int, destination: int, fare: float = 15.0) -> Rider:
    """A Waiting, unmatched rider that accepted ``fare``."""
    rider = browsing_rider(sim, cell, destination)
    rider.quote_fare = fare
    sim.handle(EventKind.QUOTE_ACCEPTED, rider)
    drop_events(sim)
    return rider


def drop_events(sim: Simulation) -> None:
    sim.queue.clear()


def queued(sim: Simulation) -> list[tuple[int, EventKind, Any]]:
    """Queued events in pop order."""
    return sim.queue.pending()


def kinds(sim: Simulation) -> list[tuple[int, EventKind]]:
    return [(at, kind) for at, kind, _ in queued(sim)]
