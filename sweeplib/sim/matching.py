"""Matching and driver decisions: TryMatch … MatchRejected (SIM_SPEC §2.8, §5, §6.6).

Handlers and helpers take the world (:class:`~sweeplib.sim.engine.Simulation`) first.
Here the world's idle drivers become candidates: :func:`feasible_drivers` looks up the
rider's grid disk in the per-cell idle index (equivalent to the original's per-pair
``grid_distance <= radius`` test), and the pure algorithms of
:mod:`~sweeplib.sim.assignment` pick pairs. Offers go to drivers, who accept by the
logit model of §6.6 with their per-index draw; an acceptance creates the trip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Final

import numpy as np

from sweeplib.sim import assignment
from sweeplib.sim.clock import (
    EV_BATCH_MATCH_RUN,
    EV_DRIVER_DECISION,
    EV_MATCH_ACCEPTED,
    EV_MATCH_REJECTED,
    EV_MOVE_STEP,
    EV_TRY_MATCH,
    ONE_SEC_MS,
)
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_EVALUATING,
    DRIVER_IDLE,
    RIDER_WAITING,
    Driver,
    Rider,
)
from sweeplib.sim.geo import EARTH_RADIUS_KM
from sweeplib.sim.params import MatchingAlgorithm
from sweeplib.sim.rng import first_uniform

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation

__all__ = [
    "acceptance_probability",
    "feasible_drivers",
    "find_batch_matches",
    "find_match",
    "match_score",
    "on_batch_match_run",
    "on_driver_decision",
    "on_match_accepted",
    "on_match_rejected",
    "on_try_match",
]

#: The idle-order sort key (a C-level attribute getter: no Python call per driver).
_IDLE_POSITION: Final = attrgetter("idle_pos")

#: TryMatch retry after finding nobody, or after a driver's rejection (§5.6).
MATCH_RETRY_MS: Final = 30_000


def feasible_drivers(world: Simulation, cell: int) -> list[Driver]:
    """Idle drivers within ``match_radius`` hops of ``cell``, in idle order.

    Remembered per cell until the idle list changes (riders wait through many batch
    rounds with the same drivers idle); callers must not modify the list.
    """
    if world.feasible_version != world.idle_version:
        world.feasible_cache.clear()
        world.feasible_version = world.idle_version
    found = world.feasible_cache.get(cell)
    if found is None:
        found = world.feasible_cache[cell] = _find_feasible_drivers(world, cell)
    return found


def _find_feasible_drivers(world: Simulation, cell: int) -> list[Driver]:
    radius = world.match_radius
    idle_in_cell = world.idle_in_cell
    if radius == 0:
        number = world.grid.known_number(cell)
        if number < 0 or number >= len(idle_in_cell):
            return []
        here = idle_in_cell[number]
        if here is None:
            return []
        if len(here) == 1:
            return [here[0]]
        return sorted(here, key=_IDLE_POSITION)
    disk_size = 3 * radius * (radius + 1) + 1
    idle = world.idle
    # The disk is cached per (cell, radius) as cell numbers, and riders wait through
    # many matching rounds, so it pays off against one H3 grid distance per occupied
    # cell (~20 times dearer than a list lookup) unless the disk dwarfs the occupied area.
    if disk_size > 16 * world.idle_cells:
        # A radius larger than the occupied area: test each idle driver's cell instead
        # (the idle list is the idle order).
        grid = world.grid
        within: dict[int, bool] = {}
        found: list[Driver] = []
        for driver in idle:
            near_ok = within.get(driver.cell)
            if near_ok is None:
                distance = grid.grid_distance(cell, driver.cell)
                near_ok = within[driver.cell] = distance is not None and distance <= radius
            if near_ok:
                found.append(driver)
        return found
    disk = world.grid.disk_numbers(cell, radius)
    world.cover_cells()
    idle_in_cell = world.idle_in_cell
    positions: list[int] = []
    for number in disk:
        near = idle_in_cell[number]
        if near is not None:
            for driver in near:
                positions.append(driver.idle_pos)
    positions.sort()  # plain ints: cheaper than sorting the drivers by a key
    return [idle[position] for position in positions]


def match_score(world: Simulation, rider: Rider, driver: Driver) -> float:
    """§5's shared cost model: higher is better."""
    return assignment.pickup_score(
        world.grid.distance_km(rider.cell, driver.cell), world.eta_weight
    )


def _weights(world: Simulation, rider: Rider, candidates: Sequence[Driver]) -> list[int]:
    """Kuhn–Munkres weights of ``rider`` against each candidate.

    Same formula as :func:`assignment.pickup_score` / :func:`assignment.km_weight`;
    beyond 24 candidates vectorised, with the haversine computed from unit vectors
    (h = chord² / 4).
    """
    if len(candidates) <= 24:  # numpy's per-call overhead dominates small rows
        eta_weight = world.eta_weight
        grid = world.grid
        cell = rider.cell
        return [
            assignment.km_weight(
                assignment.pickup_score(grid.distance_km(cell, d.cell), eta_weight)
            )
            for d in candidates
        ]
    positions = [driver.idle_pos for driver in candidates]
    delta = world.idle_xyz[positions] - np.asarray(world.grid.unit_vector(rider.cell))
    h = np.minimum(np.einsum("ij,ij->i", delta, delta) * 0.25, 1.0)
    km = 2.0 * EARTH_RADIUS_KM * np.arctan2(np.sqrt(h), np.sqrt(1.0 - h))
    eta_ms = np.where(km <= 0.0, 1000.0, np.trunc(np.maximum(1000.0, km / 40.0 * 3_600_000.0)))
    score = -km - eta_ms / 1000.0 * world.eta_weight
    weights: list[int] = np.trunc(score * 1_000_000.0).astype(np.int64).tolist()
    return weights


def find_match(world: Simulation, rider: Rider, candidates: list[Driver]) -> Driver | None:
    """The single-rider routine of the configured algorithm (§5.1, §5.2, §5.4)."""
    if not candidates:
        return None
    if world.algorithm is MatchingAlgorithm.SIMPLE:
        return candidates[0]
    return assignment.best_by_score(candidates, lambda driver: match_score(world, rider, driver))


def find_batch_matches(world: Simulation, riders: list[Rider]) -> list[tuple[Rider, Driver]]:
    """§5.3–5.4: the pairs one BatchMatchRun applies, in application order."""
    drivers = len(world.idle)
    if not riders or drivers == 0:
        return []
    if world.algorithm is not MatchingAlgorithm.HUNGARIAN:
        # Same, unreduced candidate list for every rider: double-booking is possible.
        pairs = []
        for rider in riders:
            driver = find_match(world, rider, feasible_drivers(world, rider.cell))
            if driver is not None:
                pairs.append((rider, driver))
        return pairs
    feasible = _FeasibleByRider(world)
    if len(riders) <= assignment.GREEDY_MAX_RIDERS and drivers <= assignment.GREEDY_MAX_DRIVERS:
        return assignment.greedy_assignment(riders, feasible, partial(match_score, world))
    pairs = assignment.hungarian_pairs(riders, feasible, partial(_weights, world), _idle_position)
    if len(riders) > drivers:  # the original's rows were drivers: results in driver order
        pairs.sort(key=lambda pair: pair[1].idle_pos)
    return pairs


class _FeasibleByRider:
    """A rider's feasible drivers, looked up once per cell for one matching round.

    A class rather than a nested function: compiled, a closure and its environment
    refer to each other, so every round left a reference cycle (holding the world)
    for the cyclic collector.
    """

    __slots__ = ("cache", "world")

    def __init__(self, world: Simulation) -> None:
        self.world = world
        self.cache: dict[int, list[Driver]] = {}

    def __call__(self, rider: Rider) -> list[Driver]:
        found = self.cache.get(rider.cell)
        if found is None:
            found = self.cache[rider.cell] = feasible_drivers(self.world, rider.cell)
        return found


def _offer(world: Simulation, rider: Rider, driver: Driver) -> None:
    rider.matched_driver = driver
    world.set_driver_state(driver, DRIVER_EVALUATING)
    driver.matched_rider = rider
    world.schedule(world.now + ONE_SEC_MS, EV_MATCH_ACCEPTED, driver)


def on_try_match(world: Simulation, rider: Rider) -> None:
    if world.batch_enabled or not rider.alive or rider.state != RIDER_WAITING:
        return
    driver = find_match(world, rider, feasible_drivers(world, rider.cell))
    if driver is None:
        world.schedule(world.now + MATCH_RETRY_MS, EV_TRY_MATCH, rider)
    else:
        _offer(world, rider, driver)


def on_batch_match_run(world: Simulation, _subject: None) -> None:
    if not world.batch_enabled:
        return
    riders = [rider for rider in world.waiting if rider.matched_driver is None]
    for rider, driver in find_batch_matches(world, riders):
        _offer(world, rider, driver)  # §5.5: in order, last write wins
    world.schedule(world.now + world.batch_interval_ms, EV_BATCH_MATCH_RUN)


def on_match_accepted(world: Simulation, driver: Driver) -> None:
    world.schedule(world.now + ONE_SEC_MS, EV_DRIVER_DECISION, driver)


def acceptance_probability(world: Simulation, driver: Driver, rider: Rider) -> float:
    """§6.6: the driver's logit acceptance probability for this offer."""
    config = world.decision
    grid = world.grid
    fare = rider.accepted_fare if rider.accepted_fare is not None else 0.0
    score = (
        config.base_acceptance_score
        + fare * config.fare_weight
        + grid.distance_km(driver.cell, rider.cell) * config.pickup_distance_penalty
        + grid.distance_km(rider.cell, rider.destination) * config.trip_distance_bonus
        + driver.daily_earnings / max(driver.earnings_target, 1.0) * config.earnings_progress_weight
        + (world.now - driver.session_start_ms)
        / max(driver.fatigue_threshold_ms, 1)
        * config.fatigue_penalty
    )
    return 1.0 / (1.0 + math.exp(-score))


def on_driver_decision(world: Simulation, driver: Driver) -> None:
    if driver.state != DRIVER_EVALUATING:
        return  # how duplicate decisions from double-booking die (§5.5)
    rider = driver.matched_rider
    if rider is None or not rider.alive:
        world.set_driver_state(driver, DRIVER_IDLE)
        return
    if rider.state != RIDER_WAITING:
        world.set_driver_state(driver, DRIVER_IDLE)
        driver.matched_rider = None
        rider.matched_driver = None
        return
    p = acceptance_probability(world, driver, rider)
    if first_uniform(world.decision_seed + driver.index) < p:
        world.set_driver_state(driver, DRIVER_EN_ROUTE)
        trip = world.add_trip(rider, driver)
        world.schedule(world.now + ONE_SEC_MS, EV_MOVE_STEP, trip)
    else:
        world.set_driver_state(driver, DRIVER_IDLE)
        driver.matched_rider = None
        world.schedule(world.now, EV_MATCH_REJECTED, rider)


def on_match_rejected(world: Simulation, rider: Rider) -> None:
    if not rider.alive:
        return
    rider.matched_driver = None
    if rider.state == RIDER_WAITING and not world.batch_enabled:
        world.schedule(world.now + MATCH_RETRY_MS, EV_TRY_MATCH, rider)


def _idle_position(driver: Driver) -> int:
    return driver.idle_pos
