"""Arrival processes with time-of-day thinning, and spawn-location tables (SIM_SPEC §4.4).

Riders and drivers arrive by a time-of-day-modulated exponential renewal process
evaluated only at spawn instants. Pure model state, no world: the spawn handlers
that use it are in :mod:`~sweeplib.sim.spawning`. Two preserved quirks matter for
results:

* the cap compares against a counter that includes initial spawns, so the total is
  ``max(initial, N - initial)`` when the window is long enough;
* the window can close before ``N`` arrivals: at epoch 0 (Thursday 00:00 UTC) only
  ≈31 % of riders and ≈50 % of drivers spawn in a one-hour window.
"""

from __future__ import annotations

import math
from typing import Final

from sweeplib.sim.rng import first_uniform

__all__ = [
    "DRIVER_HOTSPOTS",
    "DRIVER_SUPPLY_DIVISOR",
    "DRIVER_WEEKDAY",
    "DRIVER_WEEKEND",
    "RIDER_DEMAND_DIVISOR",
    "RIDER_HOTSPOTS",
    "RIDER_WEEKDAY",
    "RIDER_WEEKEND",
    "ArrivalProcess",
    "calendar",
]

RIDER_DEMAND_DIVISOR: Final = 1.3
DRIVER_SUPPLY_DIVISOR: Final = 1.2

# fmt: off
RIDER_WEEKDAY = (0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 2.5, 3.0, 2.0, 1.2, 1.2,
                 1.2, 1.2, 1.2, 1.2, 1.2, 2.8, 3.2, 2.5, 1.5, 1.5, 1.5, 1.5)
RIDER_WEEKEND = (2.0, 2.5, 3.0, 2.8, 2.2, 1.8, 1.5, 1.2, 1.0, 0.8, 0.6, 0.5,
                 0.4, 0.4, 0.4, 0.4, 0.5, 2.8, 3.5, 3.0, 2.5, 2.0, 1.8, 1.5)
DRIVER_WEEKDAY = (0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 1.0, 1.5, 1.8, 1.6, 1.2, 1.2,
                  1.2, 1.2, 1.2, 1.2, 1.2, 1.7, 2.0, 1.8, 1.3, 1.3, 1.3, 1.3)
DRIVER_WEEKEND = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.4, 1.2, 1.0,
                  0.9, 0.8, 0.7, 0.7, 0.8, 1.7, 2.2, 2.0, 1.8, 1.6, 1.4, 1.2)

# (lat, lng, weight); used only with spawn_weighting = "berlin_hotspots".
RIDER_HOTSPOTS = (
    (52.520, 13.405, 3.0), (52.521, 13.413, 2.5), (52.525, 13.369, 2.5), (52.497, 13.391, 2.0),
    (52.516, 13.454, 2.0), (52.538, 13.424, 1.8), (52.507, 13.304, 1.5), (52.484, 13.353, 1.5),
    (52.477, 13.442, 1.5), (52.549, 13.359, 1.2), (52.509, 13.376, 2.0), (52.502, 13.326, 1.8),
    (52.554, 13.292, 1.0), (52.473, 13.401, 1.2), (52.535, 13.197, 0.8),
)
DRIVER_HOTSPOTS = (
    (52.525, 13.369, 3.0), (52.521, 13.413, 2.5), (52.507, 13.332, 2.0), (52.510, 13.434, 2.0),
    (52.475, 13.365, 1.8), (52.520, 13.405, 2.0), (52.509, 13.376, 1.8), (52.520, 13.387, 1.5),
    (52.549, 13.388, 1.2), (52.534, 13.198, 0.8),
)
# fmt: on


def calendar(epoch_ms: int, now_ms: int) -> tuple[int, int]:
    """``(day_of_week, hour)`` in UTC for sim time ``now_ms``; 0 = Monday.

    1970-01-01 was a Thursday, hence the ``+ 3``.
    """
    secs = (epoch_ms + now_ms) // 1000
    day_of_week = (secs // 86_400 + 3) % 7
    hour = (secs % 86_400) // 3_600
    return day_of_week, hour


class ArrivalProcess:
    """One spawner's state: cap, window, next arrival time, and the gap sampler.

    ``dist_seed + k`` seeds the gap after arrival ``k`` — the same stream that placed
    arrival ``k`` (stream 2 = stream 1 and 4 = 3 in SIM_SPEC §7.2).
    """

    __slots__ = (
        "base_rate_per_s",
        "dist_seed",
        "epoch_ms",
        "max_count",
        "next_spawn_time",
        "spawned_count",
        "weekday",
        "weekend",
        "window_end",
        "window_start",
    )

    def __init__(
        self,
        *,
        target: int,
        initial: int,
        window_ms: int,
        divisor: float,
        dist_seed: int,
        epoch_ms: int,
        weekday: tuple[float, ...],
        weekend: tuple[float, ...],
    ) -> None:
        scheduled = max(target - initial, 0)
        self.max_count = scheduled
        if window_ms == 0 or scheduled == 0:
            self.base_rate_per_s = 0.0
        else:
            self.base_rate_per_s = scheduled / (window_ms / 1000.0) / divisor
        self.window_start = 0
        self.window_end = window_ms
        self.next_spawn_time: int | float = 0
        self.spawned_count = 0
        self.dist_seed = dist_seed
        self.epoch_ms = epoch_ms
        self.weekday = weekday
        self.weekend = weekend

    def multiplier(self, now_ms: int) -> float:
        day_of_week, hour = calendar(self.epoch_ms, now_ms)
        # Friday (4) and Saturday (5) use the weekend pattern; Sunday does not.
        pattern = self.weekend if day_of_week in (4, 5) else self.weekday
        return pattern[hour]

    def should_spawn(self, t: float) -> bool:
        return (
            self.spawned_count < self.max_count
            and self.window_start <= t <= self.window_end
            and t >= self.next_spawn_time
        )

    def gap_ms(self, k: int, now_ms: int) -> float:
        """Milliseconds until the arrival after arrival ``k`` (``inf`` if the rate is 0)."""
        rate = self.base_rate_per_s * self.multiplier(now_ms)
        if rate <= 0.0:
            return math.inf
        u = max(first_uniform(self.dist_seed + k), 1e-10)
        return -math.log(u) / rate * 1000.0

    def advance(self, now_ms: int) -> int | float:
        """Record one scheduled arrival at ``now_ms``; return the next arrival time."""
        gap = self.gap_ms(self.spawned_count, now_ms)
        if math.isinf(gap):
            self.next_spawn_time = math.inf
        else:
            self.next_spawn_time = now_ms + math.floor(max(gap, 0.0))
        self.spawned_count += 1
        return self.next_spawn_time
