"""Spawning: SimulationStarted, SpawnRider, SpawnDriver and spawn locations (SIM_SPEC §4.4).

Handlers and helpers take the world (:class:`~sweeplib.sim.engine.Simulation`) first.
The arrival process itself (caps, time-of-day thinning, gap draws) and the hotspot
tables are in :mod:`~sweeplib.sim.arrivals`; the world creates the entities
(:meth:`~sweeplib.sim.engine.Simulation.add_rider`, ``add_driver``).

Seed layout (§7.2): arrival ``k`` of riders draws its location and destination from
``Stream(R + k)``, arrival ``k`` of drivers its location, earnings target and fatigue
threshold from ``Stream(D + k)``, where ``R`` and ``D`` are the run's family bases
(:func:`~sweeplib.sim.rng.stream_seeds`: ``S`` and ``S + 0xdeadbeef`` in the original
layout, hashes of ``S`` by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sweeplib.sim.arrivals import DRIVER_HOTSPOTS, RIDER_HOTSPOTS
from sweeplib.sim.clock import (
    EV_BATCH_MATCH_RUN,
    EV_CHECK_DRIVER_OFF_DUTY,
    EV_SPAWN_DRIVER,
    EV_SPAWN_RIDER,
    OFF_DUTY_PERIOD_MS,
)
from sweeplib.sim.geo import Grid
from sweeplib.sim.rng import Stream

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation
    from sweeplib.sim.entities import Driver, Rider

__all__ = [
    "destination",
    "on_simulation_started",
    "on_spawn_driver",
    "on_spawn_rider",
    "random_cell",
    "spawn_driver",
    "spawn_rider",
]

#: Up to this many trip cells, destinations are picked from the pickup's grid disk.
DESTINATION_DISK_THRESHOLD: Final = 20
#: Rejection-sampling attempts for longer trips before the disk fallback.
DESTINATION_ATTEMPTS: Final = 2000


def on_simulation_started(world: Simulation, _subject: None) -> None:
    """§2.8 SimulationStarted: first batch run, spawner init, the off-duty chains."""
    p = world.params
    now = world.now
    if world.batch_enabled:
        world.schedule(now, EV_BATCH_MATCH_RUN)
    riders, drivers = world.riders_spawner, world.drivers_spawner
    for _ in range(p.initial_rider_count):
        spawn_rider(world)
        riders.spawned_count += 1
    if riders.should_spawn(riders.next_spawn_time):
        world.schedule(int(riders.next_spawn_time), EV_SPAWN_RIDER)
    for _ in range(p.initial_driver_count):
        spawn_driver(world)
        drivers.spawned_count += 1
    if drivers.should_spawn(drivers.next_spawn_time):
        world.schedule(int(drivers.next_spawn_time), EV_SPAWN_DRIVER)
    # §2.5: the spawner-init and the off-duty handlers each start a periodic chain.
    world.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)
    world.schedule(now + OFF_DUTY_PERIOD_MS, EV_CHECK_DRIVER_OFF_DUTY)


def on_spawn_rider(world: Simulation, _subject: None) -> None:
    spawner = world.riders_spawner
    now = world.now
    if not spawner.should_spawn(now):
        return
    spawn_rider(world)
    following = spawner.advance(now)
    if spawner.should_spawn(following):
        world.schedule(int(following), EV_SPAWN_RIDER)


def on_spawn_driver(world: Simulation, _subject: None) -> None:
    spawner = world.drivers_spawner
    now = world.now
    if not spawner.should_spawn(now):
        return
    spawn_driver(world)
    following = spawner.advance(now)
    if spawner.should_spawn(following):
        world.schedule(int(following), EV_SPAWN_DRIVER)


def spawn_rider(world: Simulation) -> Rider:
    """Rider arrival ``k`` (the spawner's count): pickup, then destination, from one stream."""
    k = world.riders_spawner.spawned_count
    stream = Stream(world.riders_spawner.dist_seed + k)
    pickup = _spawn_cell(world, stream, RIDER_HOTSPOTS)
    return world.add_rider(pickup, destination(world, pickup, stream))


def spawn_driver(world: Simulation) -> Driver:
    """Driver arrival ``k``: cell, then earnings target and fatigue threshold, from one stream."""
    k = world.drivers_spawner.spawned_count
    stream = Stream(world.drivers_spawner.dist_seed + k)
    cell = _spawn_cell(world, stream, DRIVER_HOTSPOTS)
    target = stream.uniform_inclusive(100.0, 300.0)
    fatigue_hours = stream.uniform_inclusive(8.0, 12.0)
    return world.add_driver(cell, target, int(fatigue_hours * 3_600_000.0))


def random_cell(world: Simulation, stream: Stream) -> int:
    """A uniform cell in the box: latitude, then longitude (invalid bounds → the centre)."""
    p = world.params
    if not world.bounds_valid:
        return Grid.cell_at((p.lat_min + p.lat_max) / 2, (p.lng_min + p.lng_max) / 2)
    lat = stream.uniform_inclusive(p.lat_min, p.lat_max)
    lng = stream.uniform_inclusive(p.lng_min, p.lng_max)
    return Grid.cell_at(lat, lng)


def _spawn_cell(
    world: Simulation, stream: Stream, hotspots: tuple[tuple[float, float, float], ...]
) -> int:
    if world.hotspots:
        total = sum(w for _, _, w in hotspots)
        r = stream.uniform() * total
        cumulative = 0.0
        for lat, lng, weight in hotspots:
            cumulative += weight
            if r < cumulative:
                cell = Grid.cell_at(lat, lng)
                if world.grid.in_bounds(cell):
                    return cell
                break
    return random_cell(world, stream)


def destination(world: Simulation, pickup: int, stream: Stream) -> int:
    """A drop-off ``min_trip_cells``–``max_trip_cells`` hops from ``pickup`` (§4.4 step 3)."""
    grid = world.grid
    low, high = world.min_trip_cells, world.max_trip_cells
    if high <= DESTINATION_DISK_THRESHOLD:
        found = _disk_destination(world, pickup, high, stream)
        if found is not None:
            return found
    for _ in range(DESTINATION_ATTEMPTS):
        cell = random_cell(world, stream)
        distance = grid.grid_distance(pickup, cell)
        if distance is not None and low <= distance <= high:
            return cell
    found = _disk_destination(world, pickup, (low + high) // 2, stream)
    return pickup if found is None else found


def _disk_destination(world: Simulation, pickup: int, k: int, stream: Stream) -> int | None:
    grid = world.grid
    low, high = world.min_trip_cells, world.max_trip_cells
    candidates = []
    for cell in grid.disk(pickup, k):
        distance = grid.grid_distance(pickup, cell)
        if distance is not None and low <= distance <= high and grid.in_bounds(cell):
            candidates.append(cell)
    if not candidates:
        return None
    return candidates[stream.integer(0, len(candidates) - 1)]
