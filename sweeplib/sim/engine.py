"""The world: state, runner and state transitions of one run (SIM_SPEC §1–§2, §8.1).

One :class:`Simulation` is one run. It holds all state, the runner (§2.3) and the
transitions that keep per-state counters and indices in step with entity states.
The event handlers are plain functions taking the world first, in one module per
SIM_SPEC section, and :data:`HANDLERS` maps each event kind to its handler:

* :mod:`~sweeplib.sim.spawning` — SimulationStarted, SpawnRider, SpawnDriver (§4.4);
* :mod:`~sweeplib.sim.quotes` — ShowQuote … QuoteRejected; fares, surge, quote ETA (§6.1–6.3);
* :mod:`~sweeplib.sim.matching` — TryMatch … MatchRejected; driver decisions (§5, §6.6);
* :mod:`~sweeplib.sim.movement` — MoveStep: speeds, routes, hops (§4.2–4.6);
* :mod:`~sweeplib.sim.trips` — PickupEtaUpdated, TripStarted, TripCompleted, RiderCancel,
  CheckDriverOffDuty (§6.2, §6.4, §6.5, §6.7).

Auxiliary work (spatial indices, snapshot) happens after each event's changes are
fully applied (deviation 3).

Hot-path notes: per-state counters replace full snapshots; idle drivers live in a
swap-remove list mirrored by numpy coordinate arrays (quote ETA scans) and in a
per-cell index (matching, surge); handlers are called as ``handlers[kind](world,
subject)`` through a tuple indexed by kind (as cheap as a bound method).
"""

from __future__ import annotations

import gc
import heapq
from collections import deque
from collections.abc import Callable
from typing import Any, Final

import numpy as np

from sweeplib.sim import matching, movement, quotes, spawning, trips
from sweeplib.sim.arrivals import (
    DRIVER_SUPPLY_DIVISOR,
    DRIVER_WEEKDAY,
    DRIVER_WEEKEND,
    RIDER_DEMAND_DIVISOR,
    RIDER_WEEKDAY,
    RIDER_WEEKEND,
    ArrivalProcess,
)
from sweeplib.sim.clock import EV_SHOW_QUOTE, EV_SIMULATION_STARTED, KIND_RANK, ONE_SEC_MS
from sweeplib.sim.entities import (
    DRIVER_IDLE,
    RIDER_BROWSING,
    RIDER_IN_TRANSIT,
    RIDER_WAITING,
    TRIP_EN_ROUTE,
    Driver,
    EntityAllocator,
    Rider,
    Trip,
    TripRow,
)
from sweeplib.sim.events import (
    KIND_MASK,
    MAX_KIND,
    SEQ_BITS,
    SEQ_MASK,
    TIME_SHIFT,
    EventKind,
    EventQueue,
)
from sweeplib.sim.geo import Grid
from sweeplib.sim.params import ScenarioParams
from sweeplib.sim.rng import MASK64, Stream
from sweeplib.sim.traffic import hourly_factors

__all__ = [
    "HANDLERS",
    "SNAPSHOT_INTERVAL_MS",
    "SNAPSHOT_LIMIT",
    "Handler",
    "Simulation",
    "SnapshotRow",
]

SNAPSHOT_INTERVAL_MS: Final = 1000
SNAPSHOT_LIMIT: Final = 10_000

#: ``(timestamp_ms, riders_browsing, …, trips_cancelled)`` — SIM_SPEC §8.2 order.
SnapshotRow = tuple[int, ...]


class Simulation:
    """World state, runner and state transitions for one scenario.

    Parameters
    ----------
    params
        The scenario (checked when it was constructed).
    cancel_wait_secs
        The rider pickup-timeout window ``(min, max)`` in seconds. The original fixes
        it at (120, 2400) for every scenario; tests may narrow it.
    """

    def __init__(
        self, params: ScenarioParams, *, cancel_wait_secs: tuple[int, int] = (120, 2400)
    ) -> None:
        self.params = params
        seed = params.scenario_seed
        self.seed = seed
        pricing = params.resolved_pricing
        self.base_fare = pricing.base_fare
        self.per_km_rate = pricing.per_km_rate
        self.commission_rate = pricing.commission_rate
        self.surge_enabled = pricing.surge_enabled and pricing.surge_radius_k > 0
        self.surge_radius_k = pricing.surge_radius_k
        self.surge_max = pricing.surge_max_multiplier
        quote = params.resolved_rider_quote
        self.quote = quote
        self.quote_seed = quote.seed & MASK64
        decision = params.resolved_driver_decision
        self.decision = decision
        self.decision_seed = decision.seed & MASK64
        streams = params.stream_seeds
        self.cancel_seed = streams.cancel
        self.cancel_min_secs, cancel_max = cancel_wait_secs
        self.cancel_max_secs = max(cancel_max, self.cancel_min_secs)
        self.algorithm = params.resolved_matching_algorithm
        self.batch_enabled = params.resolved_batch_enabled
        self.batch_interval_ms = params.resolved_batch_interval_secs * 1000
        self.eta_weight = params.resolved_eta_weight
        self.match_radius = params.match_radius
        self.epoch_ms = params.resolved_epoch_ms
        self.end_time_ms = params.resolved_end_time_ms
        self.min_trip_cells = params.min_trip_cells
        self.max_trip_cells = max(params.max_trip_cells, params.min_trip_cells)
        self.hotspots = params.spawn_weighting == "berlin_hotspots"
        # §4.2: one persistent speed stream, always seeded (deviation 5).
        self.speed_stream = Stream(streams.speed)
        if params.base_speed_kmh is None:
            self.speed_low, self.speed_high = 20.0, 60.0
        else:
            base = params.base_speed_kmh
            self.speed_low, self.speed_high = max(base - 10.0, 5.0), base + 10.0
        self.hourly = hourly_factors(params.traffic_profile)
        self.traffic_flat = params.traffic_profile == "none"
        self.spatial_index = params.spatial_index_enabled
        self.density_enabled = params.dynamic_congestion_enabled and self.spatial_index
        self.traffic_varies = not self.traffic_flat or self.density_enabled

        self.grid = Grid(params.lat_min, params.lat_max, params.lng_min, params.lng_max)
        self.bounds_valid = (
            -90.0 <= params.lat_min <= params.lat_max <= 90.0
            and -180.0 <= params.lng_min <= params.lng_max <= 180.0
        )
        self.riders_spawner = ArrivalProcess(
            target=params.num_riders,
            initial=params.initial_rider_count,
            window_ms=params.request_window_ms,
            divisor=RIDER_DEMAND_DIVISOR,
            dist_seed=streams.rider_arrival,
            epoch_ms=self.epoch_ms,
            weekday=RIDER_WEEKDAY,
            weekend=RIDER_WEEKEND,
        )
        self.drivers_spawner = ArrivalProcess(
            target=params.num_drivers,
            initial=params.initial_driver_count,
            window_ms=params.driver_spread_ms,
            divisor=DRIVER_SUPPLY_DIVISOR,
            dist_seed=streams.driver_arrival,
            epoch_ms=self.epoch_ms,
            weekday=DRIVER_WEEKDAY,
            weekend=DRIVER_WEEKEND,
        )

        # -- world state -----------------------------------------------------------
        self.now = 0
        self.queue = EventQueue()
        self.entities = EntityAllocator()
        self.drivers: list[Driver] = []
        # Off-duty candidates (§6.7): fatigue deadlines, and drivers at their target.
        self.fatigue_deadlines: list[tuple[int, int, Driver]] = []
        self.earnings_reached: dict[int, Driver] = {}
        self.trips: list[Trip] = []
        self.idle: list[Driver] = []  # swap-remove list: the idle iteration order
        capacity = max(params.num_drivers, params.initial_driver_count, 16)
        # Unit vectors of idle drivers' cells, aligned with ``self.idle``.
        self.idle_xyz = np.empty((capacity, 3))
        # Per-cell indices, by the grid's cell numbers (geo.Grid.number); cover_cells()
        # extends them to every numbered cell.
        self.idle_in_cell: list[list[Driver] | None] = []  # idle drivers, per cell
        self.idle_cells = 0  # cells with at least one idle driver
        # Bumped whenever a driver joins or leaves the idle list: results computed from
        # the idle drivers (matching.feasible_drivers) hold while it stays the same.
        self.idle_version = 0
        self.feasible_cache: dict[int, list[Driver]] = {}  # cell -> feasible drivers
        self.feasible_version = 0  # the idle_version the cache was filled at
        self.waiting: list[Rider] = []  # swap-remove list: the waiting iteration order
        self.demand_in_cell: list[int] = []  # riders Browsing or Waiting, per cell
        self.drivers_in_cell: dict[int, int] = {}  # drivers in any state, per cell
        self.rider_counts = [0, 0, 0]  # browsing, waiting, in transit
        self.driver_counts = [0, 0, 0, 0, 0]
        self.trip_counts = [0, 0, 0, 0]

        # -- telemetry ---------------------------------------------------------------
        self.riders_completed = 0
        self.riders_cancelled = 0
        self.riders_abandoned_quote = 0
        self.abandoned_price = 0
        self.abandoned_eta = 0
        self.abandoned_stochastic = 0
        self.platform_revenue = 0.0
        self.total_fares = 0.0
        self.time_to_match: list[int] = []
        self.time_to_pickup: list[int] = []
        self.snapshots: deque[SnapshotRow] = deque(maxlen=SNAPSHOT_LIMIT)
        self.next_snapshot_at = 0  # the first processed event always takes one
        self.dirty_trips: list[Trip] = []
        self.snapshotted_trips: dict[int, TripRow] = {}
        self.events_processed = 0
        self.last_kind: EventKind | None = None  # set by step(), for tests

    # =========================================================================
    # Runner (§2.3)
    # =========================================================================

    def schedule(self, at_ms: int, kind: int, subject: Any = None) -> None:
        """Queue an event (the hot path: one heap push of an int, the subject aside)."""
        queue = self.queue
        seq = queue.seq + 1
        if seq > queue.seq_limit:
            seq = queue.next_seq()
        else:
            queue.seq = seq
        queue.subjects[seq] = subject
        heapq.heappush(queue.heap, (at_ms << TIME_SHIFT) | KIND_RANK[kind] | seq)

    def initialize(self) -> None:
        """Queue SimulationStarted at t = 0."""
        self.schedule(0, EV_SIMULATION_STARTED)

    def run(self, max_steps: int = 2_000_000) -> int:
        """Process events until the end time, an empty queue, or ``max_steps`` events.

        Returns the number of events processed by this call.
        """
        heap = self.queue.heap
        subjects = self.queue.subjects
        pop = heapq.heappop
        handlers = HANDLERS
        end_key = self.end_time_ms << TIME_SHIFT
        steps = 0
        # The run keeps every entity until the end, so the cyclic collector would
        # only re-scan live objects (~6 % of a large run);
        # the state is restored however the loop ends.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while steps < max_steps and heap:
                if heap[0] >= end_key:  # the next event is at or after the end: stop
                    break
                key = pop(heap)
                now = key >> TIME_SHIFT
                self.now = now
                handlers[MAX_KIND - ((key >> SEQ_BITS) & KIND_MASK)](
                    self, subjects.pop(key & SEQ_MASK)
                )
                steps += 1
                if now >= self.next_snapshot_at:
                    self.capture_snapshot()
        finally:
            if collecting:
                gc.enable()
        self.events_processed += steps
        return steps

    def step(self) -> bool:
        """Process exactly one event (ignoring the end time); False if the queue is empty."""
        if not self.queue.heap:
            return False
        now, kind, subject = self.queue.pop()
        self.now = now
        self.last_kind = EventKind(kind)
        HANDLERS[kind](self, subject)
        self.events_processed += 1
        if now >= self.next_snapshot_at:
            self.capture_snapshot()
        return True

    def handle(
        self, kind: EventKind | int, subject: Any = None, *, at_ms: int | None = None
    ) -> None:
        """Run one handler directly (as if its event popped at ``at_ms``, default now).

        For tests that exercise a single rule of SIM_SPEC §2.8 on a hand-built world.
        """
        if at_ms is not None:
            self.now = at_ms
        HANDLERS[int(kind)](self, subject)

    def capture_snapshot(self) -> None:
        """Record counts, and every trip changed since the last snapshot (§8.1)."""
        now = self.now
        self.next_snapshot_at = now + SNAPSHOT_INTERVAL_MS
        rc, dc, tc = self.rider_counts, self.driver_counts, self.trip_counts
        self.snapshots.append(
            (now, rc[0], rc[1], rc[2], 0, 0, dc[0], dc[1], dc[2], dc[3], dc[4], *tc)
        )
        if self.dirty_trips:
            rows = self.snapshotted_trips
            for trip in self.dirty_trips:
                rows[trip.entity] = trip.row()
            self.dirty_trips.clear()

    # =========================================================================
    # State transitions: the only writers of states, counters and indices
    # =========================================================================

    def cover_cells(self) -> None:
        """Extend the per-cell indices to every cell the grid has numbered."""
        missing = self.grid.numbered - len(self.demand_in_cell)
        if missing > 0:
            self.demand_in_cell.extend([0] * missing)
            self.idle_in_cell.extend([None] * missing)

    def cell_number(self, cell: int) -> int:
        """The cell's number, with the per-cell indices covering it."""
        number = self.grid.number(cell)
        if number >= len(self.demand_in_cell):
            self.cover_cells()
        return number

    def add_rider(self, cell: int, destination: int) -> Rider:
        """Create a Browsing rider now and queue its first quote (+1 s, §4.4)."""
        index, generation = self.entities.allocate()
        rider = Rider(index, generation, cell, destination, self.now)
        self.rider_counts[RIDER_BROWSING] += 1
        self.demand_in_cell[self.cell_number(cell)] += 1
        self.schedule(self.now + ONE_SEC_MS, EV_SHOW_QUOTE, rider)
        return rider

    def add_driver(self, cell: int, earnings_target: float, fatigue_threshold_ms: int) -> Driver:
        """Create an Idle driver now (§4.4)."""
        index, generation = self.entities.allocate()
        driver = Driver(index, generation, cell, self.now, earnings_target, fatigue_threshold_ms)
        driver.slot = len(self.drivers)
        self.drivers.append(driver)
        heapq.heappush(
            self.fatigue_deadlines, (self.now + fatigue_threshold_ms, driver.slot, driver)
        )
        self.driver_counts[DRIVER_IDLE] += 1
        self._add_idle(driver)
        if self.density_enabled:
            self.drivers_in_cell[cell] = self.drivers_in_cell.get(cell, 0) + 1
        return driver

    def release(self) -> None:
        """Break the entities' reference cycles once the outputs are collected.

        Riders and drivers point at each other while matched, and a rider at its trip,
        which points back; without these links the finished world is freed by reference
        counting as soon as it is dropped, instead of by a full pass of the cyclic
        collector over every entity (~0.1 s after a large run). The world must not be
        run again afterwards.
        """
        for trip in self.trips:
            trip.rider.assigned_trip = None
            trip.rider.matched_driver = None
        for driver in self.drivers:
            driver.matched_rider = None

    def add_trip(self, rider: Rider, driver: Driver) -> Trip:
        """Create an EnRoute trip for an accepted offer now (§2.8 DriverDecision)."""
        index, generation = self.entities.allocate()
        pickup_km = self.grid.distance_km(driver.cell, rider.cell)
        trip = Trip(index, generation, rider, driver, self.now, pickup_km)
        self.trips.append(trip)
        self.trip_counts[TRIP_EN_ROUTE] += 1
        self.dirty_trips.append(trip)
        rider.assigned_trip = trip
        return trip

    def set_driver_state(self, driver: Driver, state: int) -> None:
        """Move a driver to ``state``, keeping the counts and the idle indices in step."""
        old = driver.state
        if old == state:
            return
        counts = self.driver_counts
        counts[old] -= 1
        counts[state] += 1
        driver.state = state
        if old == DRIVER_IDLE:
            self._remove_idle(driver)
        elif state == DRIVER_IDLE:
            self._add_idle(driver)

    def _add_idle(self, driver: Driver) -> None:
        self.idle_version += 1
        pos = len(self.idle)
        if pos == len(self.idle_xyz):
            self.idle_xyz = np.concatenate([self.idle_xyz, np.empty((max(16, pos), 3))])
        driver.idle_pos = pos
        self.idle.append(driver)
        self.idle_xyz[pos] = self.grid.unit_vector(driver.cell)
        number = self.cell_number(driver.cell)
        in_cell = self.idle_in_cell[number]
        if in_cell is None:
            self.idle_in_cell[number] = [driver]
            self.idle_cells += 1
        else:
            in_cell.append(driver)

    def _remove_idle(self, driver: Driver) -> None:
        self.idle_version += 1
        pos = driver.idle_pos
        last = self.idle.pop()
        if last is not driver:
            end = len(self.idle)
            self.idle[pos] = last
            last.idle_pos = pos
            self.idle_xyz[pos] = self.idle_xyz[end]
        driver.idle_pos = -1
        # Idle drivers do not move: the cell is the one _add_idle numbered.
        number = self.grid.known_number(driver.cell)
        in_cell = self.idle_in_cell[number]
        assert in_cell is not None
        in_cell.remove(driver)
        if not in_cell:
            self.idle_in_cell[number] = None
            self.idle_cells -= 1

    def move_driver(self, driver: Driver, cell: int) -> None:
        """Put a (non-idle) driver on ``cell``, keeping the density counts in step (§4.3)."""
        if self.density_enabled:
            counts = self.drivers_in_cell
            old = driver.cell
            left = counts[old] - 1
            if left:
                counts[old] = left
            else:
                del counts[old]
            counts[cell] = counts.get(cell, 0) + 1
        driver.cell = cell

    def credit_earnings(self, driver: Driver, amount: float) -> None:
        """Add to a driver's daily earnings (the only way earnings change, §6.2)."""
        driver.daily_earnings += amount
        if driver.daily_earnings >= driver.earnings_target:
            self.earnings_reached[driver.slot] = driver

    def rider_to_waiting(self, rider: Rider) -> None:
        """Browsing → Waiting: the rider joins the end of the waiting list."""
        counts = self.rider_counts
        counts[rider.state] -= 1
        counts[RIDER_WAITING] += 1
        rider.state = RIDER_WAITING
        rider.wait_pos = len(self.waiting)
        self.waiting.append(rider)

    def _remove_waiting(self, rider: Rider) -> None:
        pos = rider.wait_pos
        last = self.waiting.pop()
        if last is not rider:
            self.waiting[pos] = last
            last.wait_pos = pos
        rider.wait_pos = -1

    def _leave_demand(self, rider: Rider) -> None:
        # Browsing and Waiting riders do not move: the cell is the one add_rider numbered.
        self.demand_in_cell[self.grid.known_number(rider.cell)] -= 1

    def rider_to_in_transit(self, rider: Rider) -> None:
        """Waiting → InTransit at pickup: the rider leaves the waiting list and demand."""
        self._remove_waiting(rider)
        self._leave_demand(rider)
        counts = self.rider_counts
        counts[RIDER_WAITING] -= 1
        counts[RIDER_IN_TRANSIT] += 1
        rider.state = RIDER_IN_TRANSIT

    def despawn_rider(self, rider: Rider) -> None:
        """Remove a rider from every list and count, and free its index (§7.4)."""
        state = rider.state
        if state == RIDER_WAITING:
            self._remove_waiting(rider)
        if state != RIDER_IN_TRANSIT:
            self._leave_demand(rider)
        self.rider_counts[state] -= 1
        rider.alive = False
        self.entities.release(rider.index)

    def set_trip_state(self, trip: Trip, state: int) -> None:
        """Move a trip to ``state``, keeping the counts and the dirty-trip list in step."""
        counts = self.trip_counts
        counts[trip.state] -= 1
        counts[state] += 1
        trip.state = state
        self.dirty_trips.append(trip)


#: An event handler: ``handler(world, subject)``.
Handler = Callable[[Simulation, Any], None]

#: The handler of each event kind, indexed by :class:`EventKind` (§2.8).
HANDLERS: Final[tuple[Handler, ...]] = (
    spawning.on_simulation_started,
    spawning.on_spawn_rider,
    spawning.on_spawn_driver,
    quotes.on_show_quote,
    quotes.on_quote_decision,
    quotes.on_quote_accepted,
    quotes.on_quote_rejected,
    matching.on_try_match,
    matching.on_batch_match_run,
    matching.on_match_accepted,
    matching.on_driver_decision,
    matching.on_match_rejected,
    movement.on_move_step,
    trips.on_pickup_eta_updated,
    trips.on_trip_started,
    trips.on_trip_completed,
    trips.on_rider_cancel,
    trips.on_check_driver_off_duty,
)
