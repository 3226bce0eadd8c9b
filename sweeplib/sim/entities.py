"""Riders, drivers, trips, their state codes, and the shared entity-index space.

State codes are the telemetry codes of SIM_SPEC §1. Entities reference each other
directly; a despawned rider keeps ``alive = False`` so stale references (the
original's "entity with a different generation") resolve to "missing".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DRIVER_EN_ROUTE",
    "DRIVER_EVALUATING",
    "DRIVER_IDLE",
    "DRIVER_OFF_DUTY",
    "DRIVER_ON_TRIP",
    "REASON_ETA",
    "REASON_PRICE",
    "REASON_STOCHASTIC",
    "RIDER_BROWSING",
    "RIDER_IN_TRANSIT",
    "RIDER_WAITING",
    "TRIP_CANCELLED",
    "TRIP_COMPLETED",
    "TRIP_EN_ROUTE",
    "TRIP_ON_TRIP",
    "Driver",
    "EntityAllocator",
    "Rider",
    "Trip",
    "TripRoute",
    "TripRow",
]

# Final constants: the compiled kernel reads them as C constants, not module globals.
RIDER_BROWSING: Final = 0
RIDER_WAITING: Final = 1
RIDER_IN_TRANSIT: Final = 2
DRIVER_IDLE: Final = 0
DRIVER_EVALUATING: Final = 1
DRIVER_EN_ROUTE: Final = 2
DRIVER_ON_TRIP: Final = 3
DRIVER_OFF_DUTY: Final = 4
TRIP_EN_ROUTE: Final = 0
TRIP_ON_TRIP: Final = 1
TRIP_COMPLETED: Final = 2
TRIP_CANCELLED: Final = 3

REASON_PRICE: Final = 1
REASON_ETA: Final = 2
REASON_STOCHASTIC: Final = 3

#: One ``trip_data`` row, in SIM_SPEC §8.3 column order.
TripRow = tuple[int, int, int, int, int, int, float, int, int, int | None, int | None, int | None]


@dataclass(slots=True)
class EntityAllocator:
    """bevy 0.13's allocator: reuse freed indices LIFO, bump the generation on free.

    Exported ids are ``generation << 32 | index``; seeds use the index only, so a
    rider reusing an index inherits its predecessor's quote and cancel draws.
    """

    generations: list[int] = field(default_factory=list)
    free: list[int] = field(default_factory=list)

    def allocate(self) -> tuple[int, int]:
        if self.free:
            index = self.free.pop()
            return index, self.generations[index]
        self.generations.append(1)
        return len(self.generations) - 1, 1

    def release(self, index: int) -> None:
        self.generations[index] += 1
        self.free.append(index)


class Rider:
    __slots__ = (
        "accepted_fare",
        "alive",
        "assigned_trip",
        "cell",
        "destination",
        "entity",
        "index",
        "last_reason",
        "matched_driver",
        "quote_eta_ms",
        "quote_fare",
        "quote_rejections",
        "requested_at",
        "state",
        "wait_pos",
    )

    def __init__(self, index: int, generation: int, cell: int, destination: int, now: int):
        self.index = index
        self.entity = (generation << 32) | index
        self.alive = True
        self.state = RIDER_BROWSING
        self.cell = cell
        self.destination = destination
        self.requested_at = now
        self.quote_rejections = 0
        self.accepted_fare: float | None = None
        self.last_reason = 0
        # The RiderQuote component: present iff quote_fare is not None.
        self.quote_fare: float | None = None
        self.quote_eta_ms = 0
        self.matched_driver: Driver | None = None
        self.assigned_trip: Trip | None = None
        self.wait_pos = -1  # position in the engine's waiting list, -1 if not waiting


class Driver:
    __slots__ = (
        "cell",
        "daily_earnings",
        "earnings_target",
        "entity",
        "fatigue_threshold_ms",
        "idle_pos",
        "index",
        "matched_rider",
        "session_end_ms",
        "session_start_ms",
        "slot",
        "state",
    )

    def __init__(
        self,
        index: int,
        generation: int,
        cell: int,
        now: int,
        earnings_target: float,
        fatigue_threshold_ms: int,
    ):
        self.index = index
        self.entity = (generation << 32) | index
        self.state = DRIVER_IDLE
        self.cell = cell
        self.matched_rider: Rider | None = None
        self.daily_earnings = 0.0
        self.earnings_target = earnings_target
        self.session_start_ms = now
        self.session_end_ms: int | None = None
        self.fatigue_threshold_ms = fatigue_threshold_ms
        self.idle_pos = -1  # position in the engine's idle list, -1 if not idle
        self.slot = -1  # spawn order among drivers


class TripRoute:
    """One leg's planned path: cells, per-segment km, progress (SIM_SPEC §4.6)."""

    __slots__ = ("cells", "next_segment", "segment_km", "total_km", "travelled_km")

    def __init__(self, cells: list[int], segment_km: list[float], total_km: float):
        self.cells = cells
        self.segment_km = segment_km
        self.total_km = total_km
        self.next_segment = 0
        self.travelled_km = 0.0


class Trip:
    __slots__ = (
        "agreed_fare",
        "cancelled_at",
        "driver",
        "dropoff",
        "dropoff_at",
        "entity",
        "matched_at",
        "pickup",
        "pickup_at",
        "pickup_distance_km",
        "pickup_eta_ms",
        "requested_at",
        "rider",
        "route",
        "state",
    )

    def __init__(
        self,
        index: int,
        generation: int,
        rider: Rider,
        driver: Driver,
        now: int,
        pickup_distance_km: float,
    ):
        self.entity = (generation << 32) | index
        self.state = TRIP_EN_ROUTE
        self.rider = rider
        self.driver = driver
        self.pickup = rider.cell
        self.dropoff = rider.destination
        self.requested_at = rider.requested_at
        self.matched_at = now
        self.pickup_at: int | None = None
        self.dropoff_at: int | None = None
        self.cancelled_at: int | None = None
        self.agreed_fare = rider.accepted_fare
        self.pickup_distance_km = pickup_distance_km
        self.pickup_eta_ms = 0
        self.route: TripRoute | None = None

    def row(self) -> TripRow:
        """This trip as a ``trip_data`` row (SIM_SPEC §8.3 column order)."""
        return (
            self.entity,
            self.rider.entity,
            self.driver.entity,
            self.state,
            self.pickup,
            self.dropoff,
            self.pickup_distance_km,
            self.requested_at,
            self.matched_at,
            self.pickup_at,
            self.dropoff_at,
            self.cancelled_at,
        )
