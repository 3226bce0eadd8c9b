"""Run outputs as plain columns: metrics, ``trip_data`` and ``snapshot_counts`` (SIM_SPEC §8).

The kernel names its output columns and gives them numpy dtypes; it knows nothing of
Arrow or Parquet. The storage registry (:mod:`sweeplib.storage.schemas`) owns the
Parquet contract and turns these columns into Arrow once, checking them as it does.
Nullable columns are numpy masked arrays (masked = null).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.ma  # loaded with the kernel, not lazily inside the first run
import numpy.typing as npt

__all__ = [
    "METRIC_NAMES",
    "SNAPSHOT_COLUMNS",
    "TRIP_COLUMNS",
    "Columns",
    "SimulationResult",
    "distribution_stats",
    "snapshot_columns",
    "trip_columns",
]

#: Column name → values, in output order; nullable columns are ``numpy.ma.MaskedArray``.
Columns: TypeAlias = dict[str, npt.NDArray[Any]]

_U64: Final = np.dtype(np.uint64)

#: ``trip_data`` columns (SIM_SPEC §8.3) and their dtypes; the last three are nullable.
TRIP_COLUMNS: Final[tuple[tuple[str, np.dtype[Any]], ...]] = (
    ("trip_entity", _U64),
    ("rider_entity", _U64),
    ("driver_entity", _U64),
    ("state", np.dtype(np.uint8)),
    ("pickup_cell", _U64),
    ("dropoff_cell", _U64),
    ("pickup_distance_km_at_accept", np.dtype(np.float64)),
    ("requested_at", _U64),
    ("matched_at", _U64),
    ("pickup_at", _U64),
    ("dropoff_at", _U64),
    ("cancelled_at", _U64),
)
_NULLABLE_TRIP_COLUMNS: Final = frozenset({"pickup_at", "dropoff_at", "cancelled_at"})

#: ``snapshot_counts`` columns (SIM_SPEC §8.2), all unsigned 64-bit.
SNAPSHOT_COLUMNS: Final[tuple[str, ...]] = (
    "timestamp_ms",
    "riders_browsing",
    "riders_waiting",
    "riders_in_transit",
    "riders_completed",
    "riders_cancelled",
    "drivers_idle",
    "drivers_evaluating",
    "drivers_en_route",
    "drivers_on_trip",
    "drivers_off_duty",
    "trips_en_route",
    "trips_on_trip",
    "trips_completed",
    "trips_cancelled",
)

#: The per-run metrics of SIM_SPEC §8.5, in ``shard_metrics`` column order, then
#: ``total_drivers`` (reported, not stored).
METRIC_NAMES: Final[tuple[str, ...]] = (
    "total_riders",
    "completed_riders",
    "abandoned_quote_riders",
    "cancelled_riders",
    "conversion_rate",
    "platform_revenue",
    "driver_payouts",
    "total_fares_collected",
    "avg_time_to_match_ms",
    "median_time_to_match_ms",
    "p90_time_to_match_ms",
    "avg_time_to_pickup_ms",
    "median_time_to_pickup_ms",
    "p90_time_to_pickup_ms",
    "completed_trips",
    "riders_abandoned_price",
    "riders_abandoned_eta",
    "riders_abandoned_stochastic",
    "total_drivers",
)


def distribution_stats(values: Sequence[int | float]) -> tuple[float, float, float]:
    """``(mean, median, p90)`` as in the original: p90 = sorted[floor((n-1)·0.9)].

    The median averages the two middle values for even n; empty input gives zeros.
    """
    n = len(values)
    if n == 0:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    mean = float(sum(ordered)) / n
    middle = n // 2
    median = float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
    p90 = float(ordered[int((n - 1) * 0.9)])
    return mean, median, p90


@dataclass(frozen=True)
class SimulationResult:
    """What one run produces.

    Attributes
    ----------
    metrics
        The 18 ``shard_metrics`` values plus ``total_drivers``, by name
        (:data:`METRIC_NAMES` order).
    trip_data
        :data:`TRIP_COLUMNS`: one row per trip as of the last snapshot, sorted by
        ``trip_entity``.
    snapshot_counts
        :data:`SNAPSHOT_COLUMNS`: one row per retained snapshot (the last 10,000), in
        time order.
    events_processed
        Events popped and handled.
    final_time_ms
        Timestamp of the last processed event (0 if none).
    """

    metrics: dict[str, Any]
    trip_data: Columns
    snapshot_counts: Columns
    events_processed: int
    final_time_ms: int

    @property
    def trip_count(self) -> int:
        """Rows of ``trip_data``."""
        return len(self.trip_data["trip_entity"])

    @property
    def snapshot_count(self) -> int:
        """Rows of ``snapshot_counts``."""
        return len(self.snapshot_counts["timestamp_ms"])


def snapshot_columns(rows: Iterable[tuple[int, ...]]) -> Columns:
    """Snapshot rows (SIM_SPEC §8.2 order) as :data:`SNAPSHOT_COLUMNS`."""
    data = np.array(list(rows), dtype=np.uint64).reshape(-1, len(SNAPSHOT_COLUMNS))
    return {name: np.ascontiguousarray(data[:, i]) for i, name in enumerate(SNAPSHOT_COLUMNS)}


def trip_columns(rows: Iterable[tuple[Any, ...]]) -> Columns:
    """Trip rows (SIM_SPEC §8.3 order) as :data:`TRIP_COLUMNS`, sorted by ``trip_entity``."""
    ordered = sorted(rows, key=lambda row: row[0])
    values = list(zip(*ordered, strict=True)) if ordered else [() for _ in TRIP_COLUMNS]
    columns: Columns = {}
    for (name, dtype), column in zip(TRIP_COLUMNS, values, strict=True):
        if name in _NULLABLE_TRIP_COLUMNS:
            null = np.fromiter((v is None for v in column), dtype=bool, count=len(column))
            data = np.array([0 if v is None else v for v in column], dtype=dtype)
            columns[name] = np.ma.MaskedArray(data, mask=null)
        else:
            columns[name] = np.array(column, dtype=dtype)
    return columns
