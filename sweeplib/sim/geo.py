"""The H3 grid: cells, centroids, distances, disks and paths (SIM_SPEC §4.1, §4.5).

Every position is an H3 resolution-9 cell, held as an integer. Distances between
cells are haversine distances between their centroids. Grid distance (hops) is used
for the match radius and trip-length bounds; grid paths drive movement.

Caches live on a :class:`Grid` instance owned by one simulation run: unlike the
original's process-global LRUs, nothing here can couple two runs.

H3 ids exceed the integers the compiled kernel keeps unboxed (ADR 0025), so the grid
also numbers the cells a run touches, densely from 0 (:meth:`Grid.number`). The
world's per-cell indices (idle drivers, demand) are lists indexed by these numbers,
and disks are cached as number lists: a disk scan is then list indexing, not hashing
of H3 ids. Entities, routes and outputs keep H3 ids.
"""

from __future__ import annotations

import math
from typing import Any, Final

import h3.api.basic_int as h3
import h3.api.memview_int as h3_memview
from h3 import H3BaseException

__all__ = ["EARTH_RADIUS_KM", "RESOLUTION", "Grid", "haversine_km"]

RESOLUTION: Final = 9
EARTH_RADIUS_KM: Final = 6371.0

_DISK_CACHE_LIMIT: Final = 20_000
_DISTANCE_CACHE_LIMIT: Final = 500_000


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.atan2(math.sqrt(h), math.sqrt(1.0 - h))


class Grid:
    """Memoised H3 operations for one run, bounded by a lat/lng box."""

    __slots__ = (
        "_centroids",
        "_disk_numbers",
        "_disks",
        "_distance_count",
        "_distances",
        "_numbers",
        "_rad",
        "lat_max",
        "lat_min",
        "lng_max",
        "lng_min",
    )

    def __init__(self, lat_min: float, lat_max: float, lng_min: float, lng_max: float) -> None:
        self.lat_min = lat_min
        self.lat_max = lat_max
        self.lng_min = lng_min
        self.lng_max = lng_max
        self._centroids: dict[int, tuple[float, float]] = {}
        # cell -> (lat radians, lng radians, cos(lat))
        self._rad: dict[int, tuple[float, float, float]] = {}
        self._disks: dict[tuple[int, int], tuple[int, ...]] = {}
        self._disk_numbers: dict[tuple[int, int], list[int]] = {}
        # smaller cell -> larger cell -> km (nested: no key tuple per lookup)
        self._distances: dict[int, dict[int, float]] = {}
        self._distance_count = 0
        self._numbers: dict[int, int] = {}  # cell -> its number in this run

    # -- cell numbers --------------------------------------------------------------

    def number(self, cell: int) -> int:
        """The cell's number in this run (dense from 0, in order of first use)."""
        found = self._numbers.get(cell)
        if found is None:
            found = len(self._numbers)
            self._numbers[cell] = found
        return found

    def known_number(self, cell: int) -> int:
        """The cell's number, or -1 if the run has not numbered it yet."""
        found = self._numbers.get(cell)
        return -1 if found is None else found

    @property
    def numbered(self) -> int:
        """How many cells have a number (the numbers are ``0 .. numbered - 1``)."""
        return len(self._numbers)

    # -- cells -------------------------------------------------------------------

    @staticmethod
    def cell_at(lat: float, lng: float) -> int:
        return int(h3.latlng_to_cell(lat, lng, RESOLUTION))

    def centroid(self, cell: int) -> tuple[float, float]:
        found = self._centroids.get(cell)
        if found is None:
            lat, lng = h3.cell_to_latlng(cell)
            found = (lat, lng)
            self._centroids[cell] = found
        return found

    def radians(self, cell: int) -> tuple[float, float, float]:
        """Centroid as (lat rad, lng rad, cos lat): the haversine inputs."""
        found = self._rad.get(cell)
        if found is None:
            lat, lng = self.centroid(cell)
            phi = math.radians(lat)
            found = (phi, math.radians(lng), math.cos(phi))
            self._rad[cell] = found
        return found

    def in_bounds(self, cell: int) -> bool:
        """Whether the cell's centroid lies in the box (inclusive)."""
        lat, lng = self.centroid(cell)
        return self.lat_min <= lat <= self.lat_max and self.lng_min <= lng <= self.lng_max

    # -- distances ---------------------------------------------------------------

    def distance_km(self, a: int, b: int) -> float:
        """Haversine distance between centroids; symmetric to the last bit.

        The pair is evaluated with the smaller cell first, as the original does.
        """
        if a == b:
            return 0.0
        if b < a:
            a, b = b, a
        row = self._distances.get(a)
        if row is None:
            row = self._distances[a] = {}
        else:
            cached = row.get(b)
            if cached is not None:
                return cached
        rad = self._rad
        ra = rad.get(a) or self.radians(a)
        rb = rad.get(b) or self.radians(b)
        sdphi = math.sin((rb[0] - ra[0]) * 0.5)
        sdlmb = math.sin((rb[1] - ra[1]) * 0.5)
        h = sdphi * sdphi + ra[2] * rb[2] * sdlmb * sdlmb
        km = 2.0 * EARTH_RADIUS_KM * math.atan2(math.sqrt(h), math.sqrt(1.0 - h))
        if self._distance_count >= _DISTANCE_CACHE_LIMIT:
            self._distances.clear()
            self._distance_count = 0
            row = self._distances[a] = {}
        self._distance_count += 1
        row[b] = km
        return km

    def path_segments_km(self, cells: list[int]) -> list[float]:
        """Haversine km of each hop of a path (the pairs in path order).

        A scalar loop with :mod:`math`, not numpy: paths are short (5–60 hops), so
        numpy's per-call overhead dominated, and libm's results do not depend on the
        CPU's vector extensions. The formula and operation order are those of
        :meth:`distance_km`, with each pair taken in path order (bit-identical to the
        numpy version this replaced, checked on 158,546 Berlin segments).
        """
        rad = self._rad
        segments: list[float] = []
        previous = rad.get(cells[0]) or self.radians(cells[0])
        for index in range(1, len(cells)):
            cell = cells[index]
            current = rad.get(cell) or self.radians(cell)
            sdphi = math.sin((current[0] - previous[0]) * 0.5)
            sdlmb = math.sin((current[1] - previous[1]) * 0.5)
            h = sdphi * sdphi + previous[2] * current[2] * sdlmb * sdlmb
            segments.append(2.0 * EARTH_RADIUS_KM * math.atan2(math.sqrt(h), math.sqrt(1.0 - h)))
            previous = current
        return segments

    def unit_vector(self, cell: int) -> tuple[float, float, float]:
        """The centroid on the unit sphere: nearest-neighbour scans use dot products."""
        phi, lmb, cos_phi = self.radians(cell)
        return (cos_phi * math.cos(lmb), cos_phi * math.sin(lmb), math.sin(phi))

    @staticmethod
    def grid_distance(a: int, b: int) -> int | None:
        """Hops between two cells, or ``None`` where H3 cannot tell (out of range)."""
        try:
            return int(h3.grid_distance(a, b))
        except H3BaseException:
            return None

    def disk(self, cell: int, k: int) -> tuple[int, ...]:
        """All cells within ``k`` hops, including ``cell`` (H3's own order)."""
        key = (cell, k)
        found = self._disks.get(key)
        if found is None:
            if len(self._disks) >= _DISK_CACHE_LIMIT:
                self._disks.clear()
            found = tuple(_cells(h3_memview.grid_disk(cell, k)))
            self._disks[key] = found
        return found

    def disk_numbers(self, cell: int, k: int) -> list[int]:
        """:meth:`disk` as cell numbers (same order), for the world's per-cell indices."""
        key = (cell, k)
        found = self._disk_numbers.get(key)
        if found is None:
            if len(self._disk_numbers) >= _DISK_CACHE_LIMIT:
                self._disk_numbers.clear()
            found = [self.number(near) for near in self.disk(cell, k)]
            self._disk_numbers[key] = found
        return found

    @staticmethod
    def path(a: int, b: int) -> list[int] | None:
        """Cells from ``a`` to ``b`` inclusive, or ``None`` if H3 has no path."""
        try:
            cells = _cells(h3_memview.grid_path_cells(a, b))
        except H3BaseException:
            return None
        return cells


def _cells(view: Any) -> list[int]:
    """H3's memoryview of cells as a list of ints (same cells, same order).

    h3's ``basic_int`` API builds its lists by iterating the memoryview from Python,
    which cost ~1 µs a cell (a radius-5 disk: 14 µs); CPython's ``memoryview.tolist``
    converts the same 64-bit buffer in C (4 µs).
    """
    cells: list[int] = memoryview(view).tolist()
    return cells
