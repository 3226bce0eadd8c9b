"""Trips and off-duty: pickup, drop-off and money, cancellations, off-duty checks.

SIM_SPEC §2.8 PickupEtaUpdated, TripStarted, TripCompleted, RiderCancel and
CheckDriverOffDuty, with §6.2 (commission and money flow), §6.4 (the pickup-timeout
cancel), §6.5 (rider patience on ETA updates) and §6.7 (off-duty rules). Handlers take
the world (:class:`~sweeplib.sim.engine.Simulation`) first.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from sweeplib.sim.clock import (
    EV_CHECK_DRIVER_OFF_DUTY,
    EV_MOVE_STEP,
    EV_RIDER_CANCEL,
    OFF_DUTY_PERIOD_MS,
    ONE_SEC_MS,
)
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_EVALUATING,
    DRIVER_IDLE,
    DRIVER_OFF_DUTY,
    DRIVER_ON_TRIP,
    RIDER_WAITING,
    TRIP_CANCELLED,
    TRIP_COMPLETED,
    TRIP_EN_ROUTE,
    TRIP_ON_TRIP,
)
from sweeplib.sim.quotes import base_fare_between

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation
    from sweeplib.sim.entities import Driver, Rider, Trip

__all__ = [
    "on_check_driver_off_duty",
    "on_pickup_eta_updated",
    "on_rider_cancel",
    "on_trip_completed",
    "on_trip_started",
]

#: §6.5 patience bounds, measured from the driver's acceptance (config values,
#: not the rider's sampled cancel wait).
PICKUP_PATIENCE_MIN_MS: Final = 120_000
PICKUP_PATIENCE_MAX_MS: Final = 2_400_000


def on_pickup_eta_updated(world: Simulation, trip: Trip) -> None:
    if trip.state != TRIP_EN_ROUTE:
        return
    rider = trip.rider
    if not rider.alive or rider.state != RIDER_WAITING or rider.matched_driver is not trip.driver:
        return
    # §6.5: measured from the driver's acceptance, with the config bounds.
    start = trip.matched_at
    now = world.now
    if now < start + PICKUP_PATIENCE_MIN_MS:
        return
    if now + trip.pickup_eta_ms > start + PICKUP_PATIENCE_MAX_MS:
        world.schedule(now, EV_RIDER_CANCEL, rider)


def on_trip_started(world: Simulation, trip: Trip) -> None:
    if trip.state != TRIP_EN_ROUTE:
        return
    driver, rider = trip.driver, trip.rider
    if (
        driver.state != DRIVER_EN_ROUTE
        or not rider.alive
        or rider.matched_driver is not driver
        or rider.state != RIDER_WAITING
        or rider.cell != driver.cell
    ):
        return
    world.rider_to_in_transit(rider)
    world.set_driver_state(driver, DRIVER_ON_TRIP)
    world.set_trip_state(trip, TRIP_ON_TRIP)
    trip.pickup_at = world.now
    trip.route = None  # the drop-off leg builds its own route (§4.6)
    world.schedule(world.now + ONE_SEC_MS, EV_MOVE_STEP, trip)


def on_trip_completed(world: Simulation, trip: Trip) -> None:
    """Drop-off: the driver is paid net of commission (§6.2), the rider despawns."""
    if trip.state != TRIP_ON_TRIP:
        return
    now = world.now
    if trip.agreed_fare is not None:
        fare = trip.agreed_fare
    else:
        fare = base_fare_between(world, trip.pickup, trip.dropoff)
    commission = fare * world.commission_rate
    driver_net = fare * (1.0 - world.commission_rate)
    driver = trip.driver
    if driver.state == DRIVER_ON_TRIP:
        world.set_driver_state(driver, DRIVER_IDLE)
    driver.matched_rider = None
    world.credit_earnings(driver, driver_net)
    world.schedule(now, EV_CHECK_DRIVER_OFF_DUTY, driver)
    rider = trip.rider
    rider.matched_driver = None
    trip.dropoff_at = now
    world.set_trip_state(trip, TRIP_COMPLETED)
    pickup_at = trip.pickup_at if trip.pickup_at is not None else now
    world.time_to_match.append(max(trip.matched_at - trip.requested_at, 0))
    world.time_to_pickup.append(max(pickup_at - trip.matched_at, 0))
    world.riders_completed += 1
    world.platform_revenue += commission
    world.total_fares += fare
    if rider.alive:
        world.despawn_rider(rider)


def on_rider_cancel(world: Simulation, rider: Rider) -> None:
    """§6.4 (timer) and §6.5 (ETA patience): only a still-Waiting rider cancels."""
    if not rider.alive or rider.state != RIDER_WAITING:
        return
    driver = rider.matched_driver
    if driver is not None:
        trip = rider.assigned_trip
        if trip is not None and trip.state == TRIP_EN_ROUTE:
            trip.cancelled_at = world.now
            world.set_trip_state(trip, TRIP_CANCELLED)
        if driver.matched_rider is rider:
            if driver.state in (DRIVER_EN_ROUTE, DRIVER_EVALUATING):
                world.set_driver_state(driver, DRIVER_IDLE)
            driver.matched_rider = None
    rider.matched_driver = None
    rider.assigned_trip = None
    world.riders_cancelled += 1
    world.despawn_rider(rider)


def on_check_driver_off_duty(world: Simulation, driver: Driver | None) -> None:
    if driver is not None:
        _check_off_duty(world, driver)
        return
    # The periodic check over all drivers. Only drivers past their fatigue deadline
    # or at their earnings target can flip, so visit exactly those, in spawn order.
    now = world.now
    due = world.earnings_reached
    deadlines = world.fatigue_deadlines
    while deadlines and deadlines[0][0] <= now:
        _, slot, each = heapq.heappop(deadlines)
        due[slot] = each
    if due:
        for slot in sorted(due):
            _check_off_duty(world, due[slot])
        due.clear()
    world.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)


def _check_off_duty(world: Simulation, driver: Driver) -> None:
    """§6.7: thresholds only — the driver's current state is not consulted."""
    if driver.state == DRIVER_OFF_DUTY:
        return
    now = world.now
    if (
        driver.daily_earnings >= driver.earnings_target
        or now - driver.session_start_ms >= driver.fatigue_threshold_ms
    ):
        world.set_driver_state(driver, DRIVER_OFF_DUTY)
        driver.session_end_ms = now
