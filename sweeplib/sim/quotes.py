"""Quotes and pricing: ShowQuote … QuoteRejected, fares, surge, quote ETA (SIM_SPEC §2.8, §6.1–6.4).

Handlers and helpers take the world (:class:`~sweeplib.sim.engine.Simulation`) first.
A rider is quoted ``base fare × surge`` (§6.1) and the straight-line ETA of the
nearest idle driver; it accepts by price, then ETA, then its per-index draw (§6.3),
re-quotes after a delay, and gives up on the (max + 1)-th rejection. Accepting starts
the pickup-timeout timer (§6.4) and, without batch matching, per-rider matching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sweeplib.sim.clock import (
    EV_QUOTE_ACCEPTED,
    EV_QUOTE_DECISION,
    EV_QUOTE_REJECTED,
    EV_RIDER_CANCEL,
    EV_SHOW_QUOTE,
    EV_TRY_MATCH,
    ONE_SEC_MS,
)
from sweeplib.sim.entities import REASON_ETA, REASON_PRICE, REASON_STOCHASTIC, RIDER_BROWSING
from sweeplib.sim.rng import Stream, first_uniform

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation
    from sweeplib.sim.entities import Rider

__all__ = [
    "base_fare_between",
    "on_quote_accepted",
    "on_quote_decision",
    "on_quote_rejected",
    "on_show_quote",
    "quote_eta_ms",
    "surge_multiplier",
]

#: The quote ETA without any idle driver.
QUOTE_DEFAULT_ETA_MS: Final = 300_000
QUOTE_ETA_SPEED_KMH: Final = 40.0


def base_fare_between(world: Simulation, pickup: int, dropoff: int) -> float:
    """§6.1: straight-line centroid distance, not the driven route."""
    return world.base_fare + world.per_km_rate * world.grid.distance_km(pickup, dropoff)


def surge_multiplier(world: Simulation, pickup: int) -> float:
    """§2.8 ShowQuote: demand (Browsing + Waiting riders) vs idle supply in the disk."""
    if not world.surge_enabled:
        return 1.0
    demand = supply = 0
    disk = world.grid.disk_numbers(pickup, world.surge_radius_k)
    world.cover_cells()
    demand_in_cell, idle_in_cell = world.demand_in_cell, world.idle_in_cell
    for number in disk:
        demand += demand_in_cell[number]
        idle = idle_in_cell[number]
        if idle is not None:
            supply += len(idle)
    if demand > supply > 0:
        return min(1.0 + (demand - supply) / supply, world.surge_max)
    if demand > supply:
        return world.surge_max
    return 1.0


def quote_eta_ms(world: Simulation, pickup: int) -> int:
    """Straight-line ETA of the nearest idle driver anywhere, at 40 km/h (§2.8).

    The nearest centroid is the one with the largest dot product of unit vectors
    (one BLAS call over all idle drivers); its distance is then the exact haversine.
    """
    n = len(world.idle)
    if n == 0:
        return QUOTE_DEFAULT_ETA_MS
    grid = world.grid
    nearest = world.idle[int((world.idle_xyz[:n] @ grid.unit_vector(pickup)).argmax())]
    km = grid.distance_km(nearest.cell, pickup)
    return max(int(km / QUOTE_ETA_SPEED_KMH * 3_600_000.0), ONE_SEC_MS)


def on_show_quote(world: Simulation, rider: Rider) -> None:
    if not rider.alive or rider.state != RIDER_BROWSING:
        return
    pickup = rider.cell
    fare = base_fare_between(world, pickup, rider.destination) * surge_multiplier(world, pickup)
    rider.quote_fare = fare
    rider.quote_eta_ms = quote_eta_ms(world, pickup)
    world.schedule(world.now + ONE_SEC_MS, EV_QUOTE_DECISION, rider)


def on_quote_decision(world: Simulation, rider: Rider) -> None:
    """§6.3: price, then ETA, then the rider's per-index draw."""
    if not rider.alive or rider.quote_fare is None or rider.state != RIDER_BROWSING:
        return
    quote = world.quote
    if rider.quote_fare > quote.max_willingness_to_pay:
        rider.last_reason = REASON_PRICE
    elif rider.quote_eta_ms > quote.max_acceptable_eta_ms:
        rider.last_reason = REASON_ETA
    elif first_uniform(world.quote_seed + rider.index) < quote.accept_probability:
        world.schedule(world.now, EV_QUOTE_ACCEPTED, rider)
        return
    else:
        rider.last_reason = REASON_STOCHASTIC
    world.schedule(world.now, EV_QUOTE_REJECTED, rider)


def on_quote_accepted(world: Simulation, rider: Rider) -> None:
    if not rider.alive or rider.quote_fare is None:
        return
    if rider.state == RIDER_BROWSING:
        rider.accepted_fare = rider.quote_fare
        world.rider_to_waiting(rider)
        rider.quote_fare = None
    now = world.now
    if not world.batch_enabled:
        world.schedule(now + ONE_SEC_MS, EV_TRY_MATCH, rider)
    # §6.4: the pickup-timeout timer, drawn from the rider's per-index cancel stream.
    wait_secs = Stream(world.cancel_seed + rider.index).integer(
        world.cancel_min_secs, world.cancel_max_secs
    )
    world.schedule(now + wait_secs * 1000, EV_RIDER_CANCEL, rider)


def on_quote_rejected(world: Simulation, rider: Rider) -> None:
    if not rider.alive or rider.state != RIDER_BROWSING:
        return
    rider.quote_rejections += 1
    quote = world.quote
    if rider.quote_rejections <= quote.max_quote_rejections:
        world.schedule(world.now + quote.re_quote_delay_secs * 1000, EV_SHOW_QUOTE, rider)
        return
    # §6.3: give up on the (max + 1)-th rejection; the last reason decides the bucket.
    world.riders_abandoned_quote += 1
    if rider.last_reason == REASON_PRICE:
        world.abandoned_price += 1
    elif rider.last_reason == REASON_ETA:
        world.abandoned_eta += 1
    else:
        world.abandoned_stochastic += 1
    world.despawn_rider(rider)
