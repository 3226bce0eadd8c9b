"""The discrete-event engine: world state, event handlers, runner (SIM_SPEC §1–§2, §4–§6).

One :class:`Simulation` is one run. Handlers follow SIM_SPEC §2.8 line by line;
comments cite the section a rule comes from. Auxiliary work (spatial indices,
snapshot) happens after each event's changes are fully applied (deviation 3).

Hot-path notes: per-state counters replace full snapshots; idle drivers live in a
swap-remove list mirrored by numpy coordinate arrays (quote ETA scans) and in a
per-cell index (matching, surge); per-entity random draws use :func:`first_uniform`.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from sweeplib.sim import matching
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_EVALUATING,
    DRIVER_IDLE,
    DRIVER_OFF_DUTY,
    DRIVER_ON_TRIP,
    REASON_ETA,
    REASON_PRICE,
    REASON_STOCHASTIC,
    RIDER_BROWSING,
    RIDER_IN_TRANSIT,
    RIDER_WAITING,
    TRIP_CANCELLED,
    TRIP_COMPLETED,
    TRIP_EN_ROUTE,
    TRIP_ON_TRIP,
    Driver,
    EntityAllocator,
    Rider,
    Trip,
    TripRoute,
    TripRow,
)
from sweeplib.sim.events import TIME_SHIFT, EventKind, EventQueue, event_key
from sweeplib.sim.geo import EARTH_RADIUS_KM, Grid
from sweeplib.sim.params import (
    CANCEL_SEED_OFFSET,
    DRIVER_SEED_OFFSET,
    SPEED_SEED_XOR,
    MatchingAlgorithm,
    ScenarioParams,
)
from sweeplib.sim.rng import MASK64, Stream, first_uniform
from sweeplib.sim.spawning import (
    DRIVER_HOTSPOTS,
    DRIVER_SUPPLY_DIVISOR,
    DRIVER_WEEKDAY,
    DRIVER_WEEKEND,
    RIDER_DEMAND_DIVISOR,
    RIDER_HOTSPOTS,
    RIDER_WEEKDAY,
    RIDER_WEEKEND,
    ArrivalProcess,
)
from sweeplib.sim.traffic import MIN_SPEED_KMH, density_factor, hourly_factors

__all__ = ["SNAPSHOT_INTERVAL_MS", "SNAPSHOT_LIMIT", "Simulation", "SnapshotRow"]

ONE_SEC_MS = 1000
MATCH_RETRY_MS = 30_000
OFF_DUTY_PERIOD_MS = 300_000
QUOTE_DEFAULT_ETA_MS = 300_000
QUOTE_ETA_SPEED_KMH = 40.0
DESTINATION_DISK_THRESHOLD = 20
DESTINATION_ATTEMPTS = 2000
SNAPSHOT_INTERVAL_MS = 1000
SNAPSHOT_LIMIT = 10_000
PICKUP_PATIENCE_MIN_MS = 120_000
PICKUP_PATIENCE_MAX_MS = 2_400_000

#: ``(timestamp_ms, riders_browsing, …, trips_cancelled)`` — SIM_SPEC §8.2 order.
SnapshotRow = tuple[int, ...]

K = EventKind
# Plain ints on the hot path (IntEnum arithmetic and comparisons are slower).
EV_SIMULATION_STARTED = int(K.SIMULATION_STARTED)
EV_SPAWN_RIDER = int(K.SPAWN_RIDER)
EV_SPAWN_DRIVER = int(K.SPAWN_DRIVER)
EV_SHOW_QUOTE = int(K.SHOW_QUOTE)
EV_QUOTE_DECISION = int(K.QUOTE_DECISION)
EV_QUOTE_ACCEPTED = int(K.QUOTE_ACCEPTED)
EV_QUOTE_REJECTED = int(K.QUOTE_REJECTED)
EV_TRY_MATCH = int(K.TRY_MATCH)
EV_BATCH_MATCH_RUN = int(K.BATCH_MATCH_RUN)
EV_MATCH_ACCEPTED = int(K.MATCH_ACCEPTED)
EV_DRIVER_DECISION = int(K.DRIVER_DECISION)
EV_MATCH_REJECTED = int(K.MATCH_REJECTED)
EV_MOVE_STEP = int(K.MOVE_STEP)
EV_PICKUP_ETA_UPDATED = int(K.PICKUP_ETA_UPDATED)
EV_TRIP_STARTED = int(K.TRIP_STARTED)
EV_TRIP_COMPLETED = int(K.TRIP_COMPLETED)
EV_RIDER_CANCEL = int(K.RIDER_CANCEL)
EV_CHECK_DRIVER_OFF_DUTY = int(K.CHECK_DRIVER_OFF_DUTY)
_KIND_RANK = tuple(event_key(0, kind, 0) for kind in range(len(K)))
_MOVE_STEP_RANK = _KIND_RANK[EV_MOVE_STEP]


def travel_ms(distance_km: float, speed_kmh: float) -> int:
    """Milliseconds to cover ``distance_km`` at ``speed_kmh`` (≥ 1 s; half away from zero)."""
    if distance_km <= 0.0:
        return ONE_SEC_MS
    return max(ONE_SEC_MS, math.floor(distance_km / max(speed_kmh, 1.0) * 3_600_000.0 + 0.5))


class Simulation:
    """World state plus the event loop for one scenario.

    Parameters
    ----------
    params
        The scenario; validated here.
    cancel_wait_secs
        The rider pickup-timeout window ``(min, max)`` in seconds. The original fixes
        it at (120, 2400) for every scenario; tests may narrow it.
    """

    def __init__(
        self, params: ScenarioParams, *, cancel_wait_secs: tuple[int, int] = (120, 2400)
    ) -> None:
        params.validate()
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
        self.cancel_seed = (seed + CANCEL_SEED_OFFSET) & MASK64
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
        self.speed_stream = Stream(seed ^ SPEED_SEED_XOR)
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
            dist_seed=seed,
            epoch_ms=self.epoch_ms,
            weekday=RIDER_WEEKDAY,
            weekend=RIDER_WEEKEND,
        )
        self.drivers_spawner = ArrivalProcess(
            target=params.num_drivers,
            initial=params.initial_driver_count,
            window_ms=params.driver_spread_ms,
            divisor=DRIVER_SUPPLY_DIVISOR,
            dist_seed=(seed + DRIVER_SEED_OFFSET) & MASK64,
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
        self.idle_in_cell: dict[int, list[Driver]] = {}
        self.waiting: list[Rider] = []  # swap-remove list: the waiting iteration order
        self.demand_in_cell: dict[int, int] = {}  # riders Browsing or Waiting, per cell
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

        self.handlers: list[Callable[[Any], None]] = [
            self._on_simulation_started,
            self._on_spawn_rider,
            self._on_spawn_driver,
            self._on_show_quote,
            self._on_quote_decision,
            self._on_quote_accepted,
            self._on_quote_rejected,
            self._on_try_match,
            self._on_batch_match_run,
            self._on_match_accepted,
            self._on_driver_decision,
            self._on_match_rejected,
            self._on_move_step,
            self._on_pickup_eta_updated,
            self._on_trip_started,
            self._on_trip_completed,
            self._on_rider_cancel,
            self._on_check_driver_off_duty,
        ]

    # =========================================================================
    # Runner (§2.3)
    # =========================================================================

    def schedule(self, at_ms: int, kind: int, subject: Any = None) -> None:
        """Queue an event (the hot path: one heap push, no intermediate objects)."""
        queue = self.queue
        queue.seq = seq = queue.seq + 1
        heapq.heappush(queue.heap, ((at_ms << TIME_SHIFT) | _KIND_RANK[kind] | seq, kind, subject))

    def initialize(self) -> None:
        """Queue SimulationStarted at t = 0."""
        self.schedule(0, EV_SIMULATION_STARTED)

    def run(self, max_steps: int = 2_000_000) -> int:
        """Process events until the end time, an empty queue, or ``max_steps`` events.

        Returns the number of events processed by this call.
        """
        heap = self.queue.heap
        pop = heapq.heappop
        handlers = self.handlers
        end_key = self.end_time_ms << TIME_SHIFT
        steps = 0
        while steps < max_steps and heap:
            if heap[0][0] >= end_key:  # the next event is at or after the end: stop
                break
            key, kind, subject = pop(heap)
            now = key >> TIME_SHIFT
            self.now = now
            handlers[kind](subject)
            steps += 1
            if now >= self.next_snapshot_at:
                self.capture_snapshot()
        self.events_processed += steps
        return steps

    def step(self) -> bool:
        """Process exactly one event (ignoring the end time); False if the queue is empty."""
        if not self.queue.heap:
            return False
        now, kind, subject = self.queue.pop()
        self.now = now
        self.last_kind = EventKind(kind)
        self.handlers[kind](subject)
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
        self.handlers[int(kind)](subject)

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
    # State transitions: keep counters and indices in step with states
    # =========================================================================

    def _set_driver_state(self, driver: Driver, state: int) -> None:
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
        pos = len(self.idle)
        if pos == len(self.idle_xyz):
            self.idle_xyz = np.concatenate([self.idle_xyz, np.empty((max(16, pos), 3))])
        driver.idle_pos = pos
        self.idle.append(driver)
        self.idle_xyz[pos] = self.grid.unit_vector(driver.cell)
        self.idle_in_cell.setdefault(driver.cell, []).append(driver)

    def _remove_idle(self, driver: Driver) -> None:
        pos = driver.idle_pos
        last = self.idle.pop()
        if last is not driver:
            end = len(self.idle)
            self.idle[pos] = last
            last.idle_pos = pos
            self.idle_xyz[pos] = self.idle_xyz[end]
        driver.idle_pos = -1
        in_cell = self.idle_in_cell[driver.cell]
        in_cell.remove(driver)
        if not in_cell:
            del self.idle_in_cell[driver.cell]

    def _move_driver(self, driver: Driver, cell: int) -> None:
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

    def _rider_to_waiting(self, rider: Rider) -> None:
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
        cell = rider.cell
        left = self.demand_in_cell[cell] - 1
        if left:
            self.demand_in_cell[cell] = left
        else:
            del self.demand_in_cell[cell]

    def _rider_to_in_transit(self, rider: Rider) -> None:
        self._remove_waiting(rider)
        self._leave_demand(rider)
        counts = self.rider_counts
        counts[RIDER_WAITING] -= 1
        counts[RIDER_IN_TRANSIT] += 1
        rider.state = RIDER_IN_TRANSIT

    def _despawn_rider(self, rider: Rider) -> None:
        state = rider.state
        if state == RIDER_WAITING:
            self._remove_waiting(rider)
        if state != RIDER_IN_TRANSIT:
            self._leave_demand(rider)
        self.rider_counts[state] -= 1
        rider.alive = False
        self.entities.release(rider.index)

    def _set_trip_state(self, trip: Trip, state: int) -> None:
        counts = self.trip_counts
        counts[trip.state] -= 1
        counts[state] += 1
        trip.state = state
        self.dirty_trips.append(trip)

    # =========================================================================
    # Spawning (§4.4)
    # =========================================================================

    def _random_cell(self, stream: Stream) -> int:
        p = self.params
        if not self.bounds_valid:
            return Grid.cell_at((p.lat_min + p.lat_max) / 2, (p.lng_min + p.lng_max) / 2)
        lat = stream.uniform_inclusive(p.lat_min, p.lat_max)
        lng = stream.uniform_inclusive(p.lng_min, p.lng_max)
        return Grid.cell_at(lat, lng)

    def _spawn_cell(self, stream: Stream, hotspots: tuple[tuple[float, float, float], ...]) -> int:
        if self.hotspots:
            total = sum(w for _, _, w in hotspots)
            r = stream.uniform() * total
            cumulative = 0.0
            for lat, lng, weight in hotspots:
                cumulative += weight
                if r < cumulative:
                    cell = Grid.cell_at(lat, lng)
                    if self.grid.in_bounds(cell):
                        return cell
                    break
        return self._random_cell(stream)

    def _destination(self, pickup: int, stream: Stream) -> int:
        grid = self.grid
        low, high = self.min_trip_cells, self.max_trip_cells
        if high <= DESTINATION_DISK_THRESHOLD:
            found = self._disk_destination(pickup, high, stream)
            if found is not None:
                return found
        for _ in range(DESTINATION_ATTEMPTS):
            cell = self._random_cell(stream)
            distance = grid.grid_distance(pickup, cell)
            if distance is not None and low <= distance <= high:
                return cell
        found = self._disk_destination(pickup, (low + high) // 2, stream)
        return pickup if found is None else found

    def _disk_destination(self, pickup: int, k: int, stream: Stream) -> int | None:
        grid = self.grid
        low, high = self.min_trip_cells, self.max_trip_cells
        candidates = []
        for cell in grid.disk(pickup, k):
            distance = grid.grid_distance(pickup, cell)
            if distance is not None and low <= distance <= high and grid.in_bounds(cell):
                candidates.append(cell)
        if not candidates:
            return None
        return candidates[stream.integer(0, len(candidates) - 1)]

    def _spawn_scheduled_rider(self) -> Rider:
        k = self.riders_spawner.spawned_count
        stream = Stream(self.seed + k)
        pickup = self._spawn_cell(stream, RIDER_HOTSPOTS)
        destination = self._destination(pickup, stream)
        return self.add_rider(pickup, destination)

    def _spawn_scheduled_driver(self) -> Driver:
        k = self.drivers_spawner.spawned_count
        stream = Stream(self.drivers_spawner.dist_seed + k)
        cell = self._spawn_cell(stream, DRIVER_HOTSPOTS)
        target = stream.uniform_inclusive(100.0, 300.0)
        fatigue_hours = stream.uniform_inclusive(8.0, 12.0)
        return self.add_driver(cell, target, int(fatigue_hours * 3_600_000.0))

    def add_rider(self, cell: int, destination: int) -> Rider:
        """Create a Browsing rider now and queue its first quote (+1 s)."""
        index, generation = self.entities.allocate()
        rider = Rider(index, generation, cell, destination, self.now)
        self.rider_counts[RIDER_BROWSING] += 1
        self.demand_in_cell[cell] = self.demand_in_cell.get(cell, 0) + 1
        self.schedule(self.now + ONE_SEC_MS, EV_SHOW_QUOTE, rider)
        return rider

    def add_driver(self, cell: int, earnings_target: float, fatigue_threshold_ms: int) -> Driver:
        """Create an Idle driver now."""
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

    def _spawn_initial(self, spawner: ArrivalProcess, count: int, spawn: Callable[[], Any]) -> None:
        for _ in range(count):
            spawn()
            spawner.spawned_count += 1

    # =========================================================================
    # Handlers (§2.8), in EventKind order
    # =========================================================================

    def _on_simulation_started(self, _subject: None) -> None:
        p = self.params
        now = self.now
        if self.batch_enabled:
            self.schedule(now, EV_BATCH_MATCH_RUN)
        riders, drivers = self.riders_spawner, self.drivers_spawner
        self._spawn_initial(riders, p.initial_rider_count, self._spawn_scheduled_rider)
        if riders.should_spawn(riders.next_spawn_time):
            self.schedule(int(riders.next_spawn_time), EV_SPAWN_RIDER)
        self._spawn_initial(drivers, p.initial_driver_count, self._spawn_scheduled_driver)
        if drivers.should_spawn(drivers.next_spawn_time):
            self.schedule(int(drivers.next_spawn_time), EV_SPAWN_DRIVER)
        # §2.5: the spawner-init and the off-duty handlers each start a periodic chain.
        self.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)
        self.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)

    def _on_spawn_rider(self, _subject: None) -> None:
        spawner = self.riders_spawner
        now = self.now
        if not spawner.should_spawn(now):
            return
        self._spawn_scheduled_rider()
        following = spawner.advance(now)
        if spawner.should_spawn(following):
            self.schedule(int(following), EV_SPAWN_RIDER)

    def _on_spawn_driver(self, _subject: None) -> None:
        spawner = self.drivers_spawner
        now = self.now
        if not spawner.should_spawn(now):
            return
        self._spawn_scheduled_driver()
        following = spawner.advance(now)
        if spawner.should_spawn(following):
            self.schedule(int(following), EV_SPAWN_DRIVER)

    def base_fare_between(self, pickup: int, dropoff: int) -> float:
        """§6.1: straight-line centroid distance, not the driven route."""
        return self.base_fare + self.per_km_rate * self.grid.distance_km(pickup, dropoff)

    def surge_multiplier(self, pickup: int) -> float:
        """§2.8 ShowQuote: demand (Browsing + Waiting riders) vs idle supply in the disk."""
        if not self.surge_enabled:
            return 1.0
        demand = supply = 0
        demand_in_cell, idle_in_cell = self.demand_in_cell, self.idle_in_cell
        for cell in self.grid.disk(pickup, self.surge_radius_k):
            demand += demand_in_cell.get(cell, 0)
            idle = idle_in_cell.get(cell)
            if idle:
                supply += len(idle)
        if demand > supply > 0:
            return min(1.0 + (demand - supply) / supply, self.surge_max)
        if demand > supply:
            return self.surge_max
        return 1.0

    def quote_eta_ms(self, pickup: int) -> int:
        """Straight-line ETA of the nearest idle driver anywhere, at 40 km/h (§2.8).

        The nearest centroid is the one with the largest dot product of unit vectors
        (one BLAS call over all idle drivers); its distance is then the exact haversine.
        """
        n = len(self.idle)
        if n == 0:
            return QUOTE_DEFAULT_ETA_MS
        nearest = self.idle[int((self.idle_xyz[:n] @ self.grid.unit_vector(pickup)).argmax())]
        km = self.grid.distance_km(nearest.cell, pickup)
        return max(int(km / QUOTE_ETA_SPEED_KMH * 3_600_000.0), ONE_SEC_MS)

    def _on_show_quote(self, rider: Rider) -> None:
        if not rider.alive or rider.state != RIDER_BROWSING:
            return
        pickup = rider.cell
        fare = self.base_fare_between(pickup, rider.destination) * self.surge_multiplier(pickup)
        rider.quote_fare = fare
        rider.quote_eta_ms = self.quote_eta_ms(pickup)
        self.schedule(self.now + ONE_SEC_MS, EV_QUOTE_DECISION, rider)

    def _on_quote_decision(self, rider: Rider) -> None:
        if not rider.alive or rider.quote_fare is None or rider.state != RIDER_BROWSING:
            return
        quote = self.quote
        if rider.quote_fare > quote.max_willingness_to_pay:
            rider.last_reason = REASON_PRICE
        elif rider.quote_eta_ms > quote.max_acceptable_eta_ms:
            rider.last_reason = REASON_ETA
        elif first_uniform(self.quote_seed + rider.index) < quote.accept_probability:
            self.schedule(self.now, EV_QUOTE_ACCEPTED, rider)
            return
        else:
            rider.last_reason = REASON_STOCHASTIC
        self.schedule(self.now, EV_QUOTE_REJECTED, rider)

    def _on_quote_accepted(self, rider: Rider) -> None:
        if not rider.alive or rider.quote_fare is None:
            return
        if rider.state == RIDER_BROWSING:
            rider.accepted_fare = rider.quote_fare
            self._rider_to_waiting(rider)
            rider.quote_fare = None
        now = self.now
        if not self.batch_enabled:
            self.schedule(now + ONE_SEC_MS, EV_TRY_MATCH, rider)
        wait_secs = Stream(self.cancel_seed + rider.index).integer(
            self.cancel_min_secs, self.cancel_max_secs
        )
        self.schedule(now + wait_secs * 1000, EV_RIDER_CANCEL, rider)

    def _on_quote_rejected(self, rider: Rider) -> None:
        if not rider.alive or rider.state != RIDER_BROWSING:
            return
        rider.quote_rejections += 1
        if rider.quote_rejections <= self.quote.max_quote_rejections:
            self.schedule(self.now + self.quote.re_quote_delay_secs * 1000, EV_SHOW_QUOTE, rider)
            return
        # §6.3: give up on the (max + 1)-th rejection; the last reason decides the bucket.
        self.riders_abandoned_quote += 1
        if rider.last_reason == REASON_PRICE:
            self.abandoned_price += 1
        elif rider.last_reason == REASON_ETA:
            self.abandoned_eta += 1
        else:
            self.abandoned_stochastic += 1
        self._despawn_rider(rider)

    # -- matching (§5) ---------------------------------------------------------------

    def feasible_drivers(self, cell: int) -> list[Driver]:
        """Idle drivers within ``match_radius`` hops of ``cell``, in idle order."""
        radius = self.match_radius
        idle_in_cell = self.idle_in_cell
        if radius == 0:
            found = idle_in_cell.get(cell)
            if not found:
                return []
            if len(found) == 1:
                return [found[0]]
            return sorted(found, key=_idle_position)
        disk_size = 3 * radius * (radius + 1) + 1
        found = []
        if disk_size <= 4 * len(idle_in_cell):
            # dict_keys & frozenset iterates the smaller side in C.
            for near in idle_in_cell.keys() & self.grid.disk_set(cell, radius):
                found.extend(idle_in_cell[near])
        else:  # a radius larger than the occupied area: test each occupied cell instead
            grid_distance = self.grid.grid_distance
            for other, drivers in idle_in_cell.items():
                distance = grid_distance(cell, other)
                if distance is not None and distance <= radius:
                    found.extend(drivers)
        found.sort(key=_idle_position)
        return found

    def _score(self, rider: Rider, driver: Driver) -> float:
        return matching.pickup_score(
            self.grid.distance_km(rider.cell, driver.cell), self.eta_weight
        )

    def _weights(self, rider: Rider, candidates: Sequence[Driver]) -> npt.NDArray[np.int64]:
        """Kuhn–Munkres weights of ``rider`` against each candidate, vectorised.

        Same formula as :func:`matching.pickup_score` / :func:`matching.km_weight`;
        the distance is the haversine computed from unit vectors (h = chord² / 4).
        """
        if len(candidates) <= 24:  # numpy's per-call overhead dominates small rows
            eta_weight = self.eta_weight
            distance = self.grid.distance_km
            cell = rider.cell
            return np.array(
                [
                    matching.km_weight(matching.pickup_score(distance(cell, d.cell), eta_weight))
                    for d in candidates
                ],
                dtype=np.int64,
            )
        positions = [driver.idle_pos for driver in candidates]
        delta = self.idle_xyz[positions] - np.asarray(self.grid.unit_vector(rider.cell))
        h = np.minimum(np.einsum("ij,ij->i", delta, delta) * 0.25, 1.0)
        km = 2.0 * EARTH_RADIUS_KM * np.arctan2(np.sqrt(h), np.sqrt(1.0 - h))
        eta_ms = np.where(km <= 0.0, 1000.0, np.trunc(np.maximum(1000.0, km / 40.0 * 3_600_000.0)))
        score = -km - eta_ms / 1000.0 * self.eta_weight
        weights: npt.NDArray[np.int64] = np.trunc(score * 1_000_000.0).astype(np.int64)
        return weights

    def find_match(self, rider: Rider, candidates: list[Driver]) -> Driver | None:
        """The single-rider routine of the configured algorithm (§5.1, §5.2, §5.4)."""
        if not candidates:
            return None
        if self.algorithm is MatchingAlgorithm.SIMPLE:
            return candidates[0]
        return matching.best_by_score(candidates, lambda driver: self._score(rider, driver))

    def find_batch_matches(self, riders: list[Rider]) -> list[tuple[Rider, Driver]]:
        """§5.3–5.4: the pairs one BatchMatchRun applies, in application order."""
        drivers = len(self.idle)
        if not riders or drivers == 0:
            return []
        if self.algorithm is not MatchingAlgorithm.HUNGARIAN:
            # Same, unreduced candidate list for every rider: double-booking is possible.
            pairs = []
            for rider in riders:
                driver = self.find_match(rider, self.feasible_drivers(rider.cell))
                if driver is not None:
                    pairs.append((rider, driver))
            return pairs
        cache: dict[int, list[Driver]] = {}

        def feasible(rider: Rider) -> list[Driver]:
            found = cache.get(rider.cell)
            if found is None:
                found = cache[rider.cell] = self.feasible_drivers(rider.cell)
            return found

        if len(riders) <= matching.GREEDY_MAX_RIDERS and drivers <= matching.GREEDY_MAX_DRIVERS:
            return matching.greedy_assignment(riders, feasible, self._score)
        pairs = matching.hungarian_pairs(riders, feasible, self._weights, _idle_position)
        if len(riders) > drivers:  # the original's rows were drivers: results in driver order
            pairs.sort(key=lambda pair: pair[1].idle_pos)
        return pairs

    def _offer(self, rider: Rider, driver: Driver) -> None:
        rider.matched_driver = driver
        self._set_driver_state(driver, DRIVER_EVALUATING)
        driver.matched_rider = rider
        self.schedule(self.now + ONE_SEC_MS, EV_MATCH_ACCEPTED, driver)

    def _on_try_match(self, rider: Rider) -> None:
        if self.batch_enabled or not rider.alive or rider.state != RIDER_WAITING:
            return
        driver = self.find_match(rider, self.feasible_drivers(rider.cell))
        if driver is None:
            self.schedule(self.now + MATCH_RETRY_MS, EV_TRY_MATCH, rider)
        else:
            self._offer(rider, driver)

    def _on_batch_match_run(self, _subject: None) -> None:
        if not self.batch_enabled:
            return
        riders = [rider for rider in self.waiting if rider.matched_driver is None]
        for rider, driver in self.find_batch_matches(riders):
            self._offer(rider, driver)
        self.schedule(self.now + self.batch_interval_ms, EV_BATCH_MATCH_RUN)

    def _on_match_accepted(self, driver: Driver) -> None:
        self.schedule(self.now + ONE_SEC_MS, EV_DRIVER_DECISION, driver)

    def acceptance_probability(self, driver: Driver, rider: Rider) -> float:
        """§6.6: the driver's logit acceptance probability for this offer."""
        config = self.decision
        distance = self.grid.distance_km
        fare = rider.accepted_fare if rider.accepted_fare is not None else 0.0
        score = (
            config.base_acceptance_score
            + fare * config.fare_weight
            + distance(driver.cell, rider.cell) * config.pickup_distance_penalty
            + distance(rider.cell, rider.destination) * config.trip_distance_bonus
            + driver.daily_earnings
            / max(driver.earnings_target, 1.0)
            * config.earnings_progress_weight
            + (self.now - driver.session_start_ms)
            / max(driver.fatigue_threshold_ms, 1)
            * config.fatigue_penalty
        )
        return 1.0 / (1.0 + math.exp(-score))

    def _on_driver_decision(self, driver: Driver) -> None:
        if driver.state != DRIVER_EVALUATING:
            return  # how duplicate decisions from double-booking die (§5.5)
        rider = driver.matched_rider
        if rider is None or not rider.alive:
            self._set_driver_state(driver, DRIVER_IDLE)
            return
        if rider.state != RIDER_WAITING:
            self._set_driver_state(driver, DRIVER_IDLE)
            driver.matched_rider = None
            rider.matched_driver = None
            return
        p = self.acceptance_probability(driver, rider)
        if first_uniform(self.decision_seed + driver.index) < p:
            self._set_driver_state(driver, DRIVER_EN_ROUTE)
            index, generation = self.entities.allocate()
            pickup_km = self.grid.distance_km(driver.cell, rider.cell)
            trip = Trip(index, generation, rider, driver, self.now, pickup_km)
            self.trips.append(trip)
            self.trip_counts[TRIP_EN_ROUTE] += 1
            self.dirty_trips.append(trip)
            rider.assigned_trip = trip
            self.schedule(self.now + ONE_SEC_MS, EV_MOVE_STEP, trip)
        else:
            self._set_driver_state(driver, DRIVER_IDLE)
            driver.matched_rider = None
            self.schedule(self.now, EV_MATCH_REJECTED, rider)

    def _on_match_rejected(self, rider: Rider) -> None:
        if not rider.alive:
            return
        rider.matched_driver = None
        if rider.state == RIDER_WAITING and not self.batch_enabled:
            self.schedule(self.now + MATCH_RETRY_MS, EV_TRY_MATCH, rider)

    # -- movement (§4.6) -------------------------------------------------------------

    def _speed_kmh(self, driver: Driver) -> float:
        """§4.2–4.3: one draw of the speed stream × traffic factor, floored at 1 km/h."""
        speed = self.speed_stream.uniform_inclusive(self.speed_low, self.speed_high)
        if self.traffic_varies:
            if not self.traffic_flat:
                speed *= self.hourly[((self.epoch_ms + self.now) // 3_600_000) % 24]
            if self.density_enabled:
                speed *= density_factor(self.drivers_in_cell.get(driver.cell, 0))
        return speed if speed > MIN_SPEED_KMH else MIN_SPEED_KMH

    def _on_move_step(self, trip: Trip) -> None:
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
        speed = self._speed_kmh(driver)  # drawn before the arrival check (§4.2)
        now = self.now
        # Step 4: the straight-line remaining distance is 0 exactly when the driver is
        # on the target cell (distinct cells have distinct centroids).
        if driver.cell == target:
            if en_route:
                trip.pickup_eta_ms = 0
            self.schedule(now + ONE_SEC_MS, arrival, trip)
            return
        route = trip.route
        if route is not None:
            segment = route.next_segment
            if segment >= len(route.segment_km):
                self.schedule(now + ONE_SEC_MS, arrival, trip)
                return
            segment_km = route.segment_km[segment]
            cell = route.cells[segment + 1]
            route.next_segment = segment + 1
            route.travelled_km += segment_km
            remaining = route.total_km - route.travelled_km
        else:
            route = self._build_route(driver.cell, target)
            if route is None:
                self.schedule(now + ONE_SEC_MS, arrival, trip)
                return
            trip.route = route
            segment_km = route.segment_km[0]
            cell = route.cells[1]
            route.next_segment = 1
            route.travelled_km = segment_km
            # Step 7: the fresh route is not visible yet; use the straight line.
            remaining = self.grid.distance_km(cell, target)
        if self.density_enabled:
            self._move_driver(driver, cell)
        else:
            driver.cell = cell
        if en_route:
            trip.pickup_eta_ms = 0 if remaining <= 0.0 else travel_ms(remaining, speed)
            self.schedule(now, EV_PICKUP_ETA_UPDATED, trip)
        else:
            trip.rider.cell = cell
        if remaining <= 0.0:
            self.schedule(now + ONE_SEC_MS, arrival, trip)
            return
        # The hop's travel time, inlined (this is the kernel's most frequent event):
        # travel_ms(segment_km, speed) with segment_km > 0 and speed >= 1 km/h.
        hop_ms = int(segment_km / speed * 3_600_000.0 + 0.5)
        queue = self.queue
        queue.seq = seq = queue.seq + 1
        heapq.heappush(
            queue.heap,
            (
                ((now + (hop_ms if hop_ms > ONE_SEC_MS else ONE_SEC_MS)) << TIME_SHIFT)
                | _MOVE_STEP_RANK
                | seq,
                EV_MOVE_STEP,
                trip,
            ),
        )

    def _build_route(self, origin: int, target: int) -> TripRoute | None:
        """The H3 grid path as a route (§4.5–4.6); ``None`` if H3 has no path."""
        cells = self.grid.path(origin, target)
        if cells is None or len(cells) < 2:
            return None
        distance = self.grid.distance_km
        segments = self.grid.path_segments_km(cells)
        total = 0.0
        for km in segments:
            total += km
        # The provider's distance is the straight line; the route total is the larger
        # of it and the segment sum. On a straight row of hexes the straight line can
        # exceed the sum by a few ULPs, which costs one extra MoveStep (SIM_SPEC §4.6).
        return TripRoute(cells, segments, max(distance(origin, target), total))

    def _on_pickup_eta_updated(self, trip: Trip) -> None:
        if trip.state != TRIP_EN_ROUTE:
            return
        rider = trip.rider
        if (
            not rider.alive
            or rider.state != RIDER_WAITING
            or rider.matched_driver is not trip.driver
        ):
            return
        # §6.5: measured from the driver's acceptance, with the config bounds.
        start = trip.matched_at
        now = self.now
        if now < start + PICKUP_PATIENCE_MIN_MS:
            return
        if now + trip.pickup_eta_ms > start + PICKUP_PATIENCE_MAX_MS:
            self.schedule(now, EV_RIDER_CANCEL, rider)

    def _on_trip_started(self, trip: Trip) -> None:
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
        self._rider_to_in_transit(rider)
        self._set_driver_state(driver, DRIVER_ON_TRIP)
        self._set_trip_state(trip, TRIP_ON_TRIP)
        trip.pickup_at = self.now
        trip.route = None
        self.schedule(self.now + ONE_SEC_MS, EV_MOVE_STEP, trip)

    def _on_trip_completed(self, trip: Trip) -> None:
        if trip.state != TRIP_ON_TRIP:
            return
        now = self.now
        if trip.agreed_fare is not None:
            fare = trip.agreed_fare
        else:
            fare = self.base_fare_between(trip.pickup, trip.dropoff)
        commission = fare * self.commission_rate
        driver_net = fare * (1.0 - self.commission_rate)
        driver = trip.driver
        if driver.state == DRIVER_ON_TRIP:
            self._set_driver_state(driver, DRIVER_IDLE)
        driver.matched_rider = None
        self.credit_earnings(driver, driver_net)
        self.schedule(now, EV_CHECK_DRIVER_OFF_DUTY, driver)
        rider = trip.rider
        rider.matched_driver = None
        trip.dropoff_at = now
        self._set_trip_state(trip, TRIP_COMPLETED)
        pickup_at = trip.pickup_at if trip.pickup_at is not None else now
        self.time_to_match.append(max(trip.matched_at - trip.requested_at, 0))
        self.time_to_pickup.append(max(pickup_at - trip.matched_at, 0))
        self.riders_completed += 1
        self.platform_revenue += commission
        self.total_fares += fare
        if rider.alive:
            self._despawn_rider(rider)

    def _on_rider_cancel(self, rider: Rider) -> None:
        if not rider.alive or rider.state != RIDER_WAITING:
            return
        driver = rider.matched_driver
        if driver is not None:
            trip = rider.assigned_trip
            if trip is not None and trip.state == TRIP_EN_ROUTE:
                trip.cancelled_at = self.now
                self._set_trip_state(trip, TRIP_CANCELLED)
            if driver.matched_rider is rider:
                if driver.state in (DRIVER_EN_ROUTE, DRIVER_EVALUATING):
                    self._set_driver_state(driver, DRIVER_IDLE)
                driver.matched_rider = None
        rider.matched_driver = None
        rider.assigned_trip = None
        self.riders_cancelled += 1
        self._despawn_rider(rider)

    def credit_earnings(self, driver: Driver, amount: float) -> None:
        """Add to a driver's daily earnings (the only way earnings change)."""
        driver.daily_earnings += amount
        if driver.daily_earnings >= driver.earnings_target:
            self.earnings_reached[driver.slot] = driver

    def _on_check_driver_off_duty(self, driver: Driver | None) -> None:
        if driver is not None:
            self._check_off_duty(driver)
            return
        # The periodic check over all drivers. Only drivers past their fatigue deadline
        # or at their earnings target can flip, so visit exactly those, in spawn order.
        now = self.now
        due = self.earnings_reached
        deadlines = self.fatigue_deadlines
        while deadlines and deadlines[0][0] <= now:
            _, slot, each = heapq.heappop(deadlines)
            due[slot] = each
        if due:
            for slot in sorted(due):
                self._check_off_duty(due[slot])
            due.clear()
        self.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)

    def _check_off_duty(self, driver: Driver) -> None:
        """§6.7: thresholds only — the driver's current state is not consulted."""
        if driver.state == DRIVER_OFF_DUTY:
            return
        now = self.now
        if (
            driver.daily_earnings >= driver.earnings_target
            or now - driver.session_start_ms >= driver.fatigue_threshold_ms
        ):
            self._set_driver_state(driver, DRIVER_OFF_DUTY)
            driver.session_end_ms = now


def _idle_position(driver: Driver) -> int:
    return driver.idle_pos
