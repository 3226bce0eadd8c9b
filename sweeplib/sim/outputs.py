"""Run outputs: metrics, ``trip_data`` and ``snapshot_counts`` tables (SIM_SPEC §8).

The Arrow schemas here are the kernel's own copies of the Parquet contract (the
kernel imports nothing from the rest of sweeplib); ``sweeplib.storage.schemas`` holds
the dataset registry and a test keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = [
    "METRIC_NAMES",
    "SHARD_METRICS_SCHEMA",
    "SNAPSHOT_COUNTS_SCHEMA",
    "TRIP_DATA_SCHEMA",
    "SimulationResult",
    "distribution_stats",
    "metrics_table",
]

_U64 = pa.uint64()
_F64 = pa.float64()

SNAPSHOT_COUNTS_SCHEMA = pa.schema(
    [
        pa.field(name, _U64, nullable=False)
        for name in (
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
    ]
)

TRIP_DATA_SCHEMA = pa.schema(
    [
        pa.field("trip_entity", _U64, nullable=False),
        pa.field("rider_entity", _U64, nullable=False),
        pa.field("driver_entity", _U64, nullable=False),
        pa.field("state", pa.uint8(), nullable=False),
        pa.field("pickup_cell", _U64, nullable=False),
        pa.field("dropoff_cell", _U64, nullable=False),
        pa.field("pickup_distance_km_at_accept", _F64, nullable=False),
        pa.field("requested_at", _U64, nullable=False),
        pa.field("matched_at", _U64, nullable=False),
        pa.field("pickup_at", _U64, nullable=True),
        pa.field("dropoff_at", _U64, nullable=True),
        pa.field("cancelled_at", _U64, nullable=True),
    ]
)

SHARD_METRICS_SCHEMA = pa.schema(
    [
        pa.field("total_riders", _U64, nullable=False),
        pa.field("completed_riders", _U64, nullable=False),
        pa.field("abandoned_quote_riders", _U64, nullable=False),
        pa.field("cancelled_riders", _U64, nullable=False),
        pa.field("conversion_rate", _F64, nullable=False),
        pa.field("platform_revenue", _F64, nullable=False),
        pa.field("driver_payouts", _F64, nullable=False),
        pa.field("total_fares_collected", _F64, nullable=False),
        pa.field("avg_time_to_match_ms", _F64, nullable=False),
        pa.field("median_time_to_match_ms", _F64, nullable=False),
        pa.field("p90_time_to_match_ms", _F64, nullable=False),
        pa.field("avg_time_to_pickup_ms", _F64, nullable=False),
        pa.field("median_time_to_pickup_ms", _F64, nullable=False),
        pa.field("p90_time_to_pickup_ms", _F64, nullable=False),
        pa.field("completed_trips", _U64, nullable=False),
        pa.field("riders_abandoned_price", _U64, nullable=False),
        pa.field("riders_abandoned_eta", _U64, nullable=False),
        pa.field("riders_abandoned_stochastic", _U64, nullable=False),
    ]
)

#: The 18 ``shard_metrics`` columns plus ``total_drivers`` (JSON/CSV only).
METRIC_NAMES = (*SHARD_METRICS_SCHEMA.names, "total_drivers")


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
        The 18 ``shard_metrics`` values plus ``total_drivers``, by name.
    trip_data
        One row per trip as of the last snapshot, sorted by ``trip_entity``.
    snapshot_counts
        One row per retained snapshot (the last 10,000), in time order.
    events_processed
        Events popped and handled.
    final_time_ms
        Timestamp of the last processed event (0 if none).
    """

    metrics: dict[str, Any]
    trip_data: pa.Table
    snapshot_counts: pa.Table
    events_processed: int
    final_time_ms: int

    def metrics_table(self) -> pa.Table:
        """The one-row ``shard_metrics`` table (without ``total_drivers``)."""
        return metrics_table([self.metrics])


_NUMPY_TYPES = {pa.uint64(): np.uint64, pa.uint8(): np.uint8, pa.float64(): np.float64}


def _array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """An Arrow array of ints/floats (``None`` = null) built from numpy buffers.

    ``pa.array`` on Python or numpy values imports pandas whenever pandas is installed
    (≈0.35 s in a fresh process); building from buffers does not.
    """
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    data = np.array(
        [0 if v is None else v for v in values] if not valid.all() else list(values),
        dtype=_NUMPY_TYPES[type_],
    )
    null_count = int(len(values) - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if null_count else None
    return pa.Array.from_buffers(
        type_, len(values), [bitmap, pa.py_buffer(data)], null_count=null_count
    )


def metrics_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """``shard_metrics`` rows as an Arrow table with the exact Parquet schema."""
    arrays = [
        _array([row[field.name] for row in rows], field.type) for field in SHARD_METRICS_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SHARD_METRICS_SCHEMA)


def snapshot_table(rows: Sequence[tuple[int, ...]]) -> pa.Table:
    names = SNAPSHOT_COUNTS_SCHEMA.names
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = [_array(column, _U64) for column in columns]
    return pa.Table.from_arrays(arrays, schema=SNAPSHOT_COUNTS_SCHEMA)


def trip_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    ordered = sorted(rows, key=lambda row: row[0])
    schema = TRIP_DATA_SCHEMA
    columns = list(zip(*ordered, strict=True)) if ordered else [() for _ in schema.names]
    arrays = [_array(column, field.type) for column, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
