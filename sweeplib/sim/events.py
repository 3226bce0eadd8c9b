"""Event kinds and the event queue (SIM_SPEC §2.2).

Ordering: earliest timestamp first; at equal timestamps the **higher** ordinal pops
first; at equal ``(timestamp, kind)`` events pop in insertion order (deliberate
deviation 2: the original's ``BinaryHeap`` order there is an implementation
accident). The three criteria are packed into one integer key, and the heap holds
the keys alone: no tuple per event, and each comparison is one of two ints. The
subject of an event is kept aside, by its sequence number.

Key layout, from the low bits: a 24-bit insertion sequence, 5 bits of reversed kind,
then the timestamp. Up to 2³³ ms (≈ 99 days) of simulated time the key fits in 62
bits, the range the compiled kernel keeps unboxed (ADR 0025); later times still
order correctly, as larger Python ints. When the sequence reaches 2²⁴, the pending
events are renumbered in pop order, which keeps every order they had.
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


SEQ_BITS: Final = 24
_KIND_BITS: Final = 5
TIME_SHIFT: Final = SEQ_BITS + _KIND_BITS
SEQ_MASK: Final = (1 << SEQ_BITS) - 1
KIND_MASK: Final = (1 << _KIND_BITS) - 1
MAX_KIND: Final = 17  # max(EventKind); a literal, so the compiled kernel folds it


def event_key(timestamp_ms: int, kind: int, seq: int) -> int:
    """Sort key: time, then descending kind, then insertion sequence."""
    return (timestamp_ms << TIME_SHIFT) | ((MAX_KIND - kind) << SEQ_BITS) | seq


def key_kind(key: int) -> int:
    """The event kind packed into a heap key."""
    return MAX_KIND - ((key >> SEQ_BITS) & KIND_MASK)


class EventQueue:
    """A min-heap of integer event keys, with each event's subject kept by sequence.

    ``push`` and ``pop`` are the whole interface the runner needs; the world's
    ``schedule`` and MoveStep inline the push (they are the kernel's hot path) and go
    through :meth:`next_seq` for the sequence number.
    """

    __slots__ = ("heap", "seq", "seq_limit", "subjects")

    def __init__(self, seq_limit: int = SEQ_MASK) -> None:
        self.heap: list[int] = []
        #: Sequence number → subject of each pending event.
        self.subjects: dict[int, Any] = {}
        self.seq = 0
        #: The largest sequence number handed out before renumbering (tests lower it).
        self.seq_limit = seq_limit

    def next_seq(self) -> int:
        """The sequence number of the next pushed event."""
        seq = self.seq + 1
        if seq > self.seq_limit:
            self.renumber()
            seq = self.seq + 1
        self.seq = seq
        return seq

    def renumber(self) -> None:
        """Give the pending events sequence numbers 1..n in pop order.

        Relative order is unchanged (pop order is the order of the keys, and the new
        numbers follow it), so FIFO ties stay FIFO.
        """
        pending = sorted(self.heap)
        if len(pending) >= self.seq_limit:
            raise OverflowError(f"{len(pending)} pending events exceed the event sequence")
        subjects = self.subjects
        renumbered: dict[int, Any] = {}
        for index, key in enumerate(pending):
            renumbered[index + 1] = subjects[key & SEQ_MASK]
            pending[index] = (key & ~SEQ_MASK) | (index + 1)
        # In place: the runner holds both containers. A sorted list is a heap.
        self.heap[:] = pending
        subjects.clear()
        subjects.update(renumbered)
        self.seq = len(pending)

    def push(self, timestamp_ms: int, kind: int, subject: Any = None) -> None:
        seq = self.next_seq()
        self.subjects[seq] = subject
        heapq.heappush(self.heap, event_key(timestamp_ms, kind, seq))

    def pop(self) -> tuple[int, int, Any]:
        """Remove the next event; returns ``(timestamp_ms, kind, subject)``."""
        key = heapq.heappop(self.heap)
        return key >> TIME_SHIFT, key_kind(key), self.subjects.pop(key & SEQ_MASK)

    def peek_time(self) -> int | None:
        return self.heap[0] >> TIME_SHIFT if self.heap else None

    def clear(self) -> None:
        """Drop every pending event."""
        self.heap.clear()
        self.subjects.clear()

    def __len__(self) -> int:
        return len(self.heap)

    def pending(self) -> list[tuple[int, EventKind, Any]]:
        """All queued events in pop order (for tests and debugging)."""
        return [
            (key >> TIME_SHIFT, EventKind(key_kind(key)), self.subjects[key & SEQ_MASK])
            for key in sorted(self.heap)
        ]
