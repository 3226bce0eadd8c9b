"""Movement: MoveStep, speeds, traffic, routes (SIM_SPEC §4.2–4.6).

Handlers and helpers take the world (:class:`~sweeplib.sim.engine.Simulation`) first.
A trip's driver moves one H3 hop per MoveStep along the grid path to the pickup
(EnRoute) or the drop-off (OnTrip) at a speed drawn per hop from the one speed
stream, times the traffic factor. MoveStep is the kernel's most frequent event
(about 60 % of all events): :func:`on_move_step` caches attributes in locals and
pushes its own follow-up onto the heap directly.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

from sweeplib.sim.clock import (
    EV_PICKUP_ETA_UPDATED,
    EV_TRIP_COMPLETED,
    EV_TRIP_STARTED,
    MOVE_STEP_RANK,
    ONE_SEC_MS,
)
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_ON_TRIP,
    TRIP_EN_ROUTE,
    TRIP_ON_TRIP,
    TripRoute,
)
from sweeplib.sim.events import TIME_SHIFT
from sweeplib.sim.traffic import MIN_SPEED_KMH, density_factor

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation
    from sweeplib.sim.entities import Driver, Trip

__all__ = ["build_route", "on_move_step", "speed_kmh", "travel_ms"]


def travel_ms(distance_km: float, speed_kmh: float) -> int:
    """Milliseconds to cover ``distance_km`` at ``speed_kmh`` (≥ 1 s; half away from zero)."""
    if distance_km <= 0.0:
        return ONE_SEC_MS
    return max(ONE_SEC_MS, math.floor(distance_km / max(speed_kmh, 1.0) * 3_600_000.0 + 0.5))


def speed_kmh(world: Simulation, driver: Driver) -> float:
    """§4.2–4.3: one draw of the speed stream × traffic factor, floored at 1 km/h."""
    speed = world.speed_stream.uniform_inclusive(world.speed_low, world.speed_high)
    if world.traffic_varies:
        if not world.traffic_flat:
            speed *= world.hourly[((world.epoch_ms + world.now) // 3_600_000) % 24]
        if world.density_enabled:
            speed *= density_factor(world.drivers_in_cell.get(driver.cell, 0))
    return speed if speed > MIN_SPEED_KMH else MIN_SPEED_KMH


def on_move_step(world: Simulation, trip: Trip) -> None:
    """§4.6 steps 1–9 (the step numbers below are the spec's)."""
    state = trip.state
    driver = trip.driver
    if state == TRIP_EN_ROUTE:
        if driver.state != DRIVER_EN_ROUTE:
            return  # frozen: the driver went off duty (§6.7); no reschedule
        target, en_route, arrival = trip.pickup, True, EV_TRIP_STARTED
    elif state == TRIP_ON_TRIP:
        if driver.state != DRIVER_ON_TRIP:
            return
        target, en_route, arrival = trip.dropoff, False, EV_TRIP_COMPLETED
    else:
        return
    speed = speed_kmh(world, driver)  # drawn before the arrival check (§4.2)
    now = world.now
    # Step 4: the straight-line remaining distance is 0 exactly when the driver is
    # on the target cell (distinct cells have distinct centroids).
    if driver.cell == target:
        if en_route:
            trip.pickup_eta_ms = 0
        world.schedule(now + ONE_SEC_MS, arrival, trip)
        return
    route = trip.route
    if route is not None:
        segment = route.next_segment
        if segment >= len(route.segment_km):
            world.schedule(now + ONE_SEC_MS, arrival, trip)
            return
        segment_km = route.segment_km[segment]
        cell = route.cells[segment + 1]
        route.next_segment = segment + 1
        route.travelled_km += segment_km
        remaining = route.total_km - route.travelled_km
    else:
        route = build_route(world, driver.cell, target)
        if route is None:
            world.schedule(now + ONE_SEC_MS, arrival, trip)
            return
        trip.route = route
        segment_km = route.segment_km[0]
        cell = route.cells[1]
        route.next_segment = 1
        route.travelled_km = segment_km
        # Step 7: the fresh route is not visible yet; use the straight line.
        remaining = world.grid.distance_km(cell, target)
    if world.density_enabled:
        world.move_driver(driver, cell)
    else:
        driver.cell = cell
    if en_route:
        trip.pickup_eta_ms = 0 if remaining <= 0.0 else travel_ms(remaining, speed)
        world.schedule(now, EV_PICKUP_ETA_UPDATED, trip)
    else:
        trip.rider.cell = cell
    if remaining <= 0.0:
        world.schedule(now + ONE_SEC_MS, arrival, trip)
        return
    # The hop's travel time, inlined (this is the kernel's most frequent event):
    # travel_ms(segment_km, speed) with segment_km > 0 and speed >= 1 km/h.
    hop_ms = int(segment_km / speed * 3_600_000.0 + 0.5)
    queue = world.queue
    seq = queue.seq + 1
    if seq > queue.seq_limit:
        seq = queue.next_seq()
    else:
        queue.seq = seq
    queue.subjects[seq] = trip
    heapq.heappush(
        queue.heap,
        ((now + (hop_ms if hop_ms > ONE_SEC_MS else ONE_SEC_MS)) << TIME_SHIFT)
        | MOVE_STEP_RANK
        | seq,
    )


def build_route(world: Simulation, origin: int, target: int) -> TripRoute | None:
    """The H3 grid path as a route (§4.5–4.6); ``None`` if H3 has no path."""
    grid = world.grid
    cells = grid.path(origin, target)
    if cells is None or len(cells) < 2:
        return None
    segments = grid.path_segments_km(cells)
    total = 0.0
    for km in segments:
        total += km
    # The provider's distance is the straight line; the route total is the larger
    # of it and the segment sum. On a straight row of hexes the straight line can
    # exceed the sum by a few ULPs, which costs one extra MoveStep (SIM_SPEC §4.6).
    return TripRoute(cells, segments, max(grid.distance_km(origin, target), total))
