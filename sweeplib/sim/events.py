"""Event kinds and the event queue (SIM_SPEC §2.2).

Ordering: earliest timestamp first; at equal timestamps the **higher** ordinal pops
first; at equal ``(timestamp, kind)`` events pop in insertion order (deliberate
deviation 2: the original's ``BinaryHeap`` order there is an implementation
accident). The three criteria are packed into one integer so the heap compares a
single int per entry.
"""

from __future__ import annotations

import enum
import heapq
from typing import Any, Final

__all__ = ["EventKind", "EventQueue"]


class EventKind(enum.IntEnum):
    SIMULATION_STARTED = 0
    SPAWN_RIDER = 1
    SPAWN_DRIVER = 2
    SHOW_QUOTE = 3
    QUOTE_DECISION = 4
    QUOTE_ACCEPTED = 5
    QUOTE_REJECTED = 6
    TRY_MATCH = 7
    BATCH_MATCH_RUN = 8
    MATCH_ACCEPTED = 9
    DRIVER_DECISION = 10
    MATCH_REJECTED = 11
    MOVE_STEP = 12
    PICKUP_ETA_UPDATED = 13
    TRIP_STARTED = 14
    TRIP_COMPLETED = 15
    RIDER_CANCEL = 16
    CHECK_DRIVER_OFF_DUTY = 17


_SEQ_BITS: Final = 40
_KIND_BITS: Final = 5
TIME_SHIFT: Final = _SEQ_BITS + _KIND_BITS
_MAX_KIND: Final = max(EventKind)


def event_key(timestamp_ms: int, kind: int, seq: int) -> int:
    """Sort key: time, then descending kind, then insertion sequence."""
    return (timestamp_ms << TIME_SHIFT) | ((_MAX_KIND - kind) << _SEQ_BITS) | seq


class EventQueue:
    """A min-heap of ``(key, kind, subject)`` entries."""

    __slots__ = ("heap", "seq")

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, Any]] = []
        self.seq = 0

    def push(self, timestamp_ms: int, kind: int, subject: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (event_key(timestamp_ms, kind, self.seq), kind, subject))

    def pop(self) -> tuple[int, int, Any]:
        """Remove the next event; returns ``(timestamp_ms, kind, subject)``."""
        key, kind, subject = heapq.heappop(self.heap)
        return key >> TIME_SHIFT, kind, subject

    def peek_time(self) -> int | None:
        return self.heap[0][0] >> TIME_SHIFT if self.heap else None

    def __len__(self) -> int:
        return len(self.heap)

    def pending(self) -> list[tuple[int, EventKind, Any]]:
        """All queued events in pop order (for tests and debugging)."""
        return [
            (key >> TIME_SHIFT, EventKind(kind), subject)
            for key, kind, subject in sorted(self.heap)
        ]
