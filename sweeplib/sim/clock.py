"""The event clock's shared vocabulary: event kinds as plain ints and fixed delays (SIM_SPEC §2).

Handlers compare and schedule kinds as plain ints (``IntEnum`` arithmetic and
comparisons are slower on the hot path). ``KIND_RANK[kind]`` is the kind's part of
the single-integer heap key (:func:`~sweeplib.sim.events.event_key`), so a push is
``(at_ms << TIME_SHIFT) | KIND_RANK[kind] | seq``. The delays are those of §2.7 that
more than one section uses; the others live with the section that uses them.
"""

from __future__ import annotations

from typing import Final

from sweeplib.sim.events import EventKind, event_key

__all__ = [
    "EV_BATCH_MATCH_RUN",
    "EV_CHECK_DRIVER_OFF_DUTY",
    "EV_DRIVER_DECISION",
    "EV_MATCH_ACCEPTED",
    "EV_MATCH_REJECTED",
    "EV_MOVE_STEP",
    "EV_PICKUP_ETA_UPDATED",
    "EV_QUOTE_ACCEPTED",
    "EV_QUOTE_DECISION",
    "EV_QUOTE_REJECTED",
    "EV_RIDER_CANCEL",
    "EV_SHOW_QUOTE",
    "EV_SIMULATION_STARTED",
    "EV_SPAWN_DRIVER",
    "EV_SPAWN_RIDER",
    "EV_TRIP_COMPLETED",
    "EV_TRIP_STARTED",
    "EV_TRY_MATCH",
    "KIND_RANK",
    "MOVE_STEP_RANK",
    "OFF_DUTY_PERIOD_MS",
    "ONE_SEC_MS",
]

K = EventKind
EV_SIMULATION_STARTED: Final = int(K.SIMULATION_STARTED)
EV_SPAWN_RIDER: Final = int(K.SPAWN_RIDER)
EV_SPAWN_DRIVER: Final = int(K.SPAWN_DRIVER)
EV_SHOW_QUOTE: Final = int(K.SHOW_QUOTE)
EV_QUOTE_DECISION: Final = int(K.QUOTE_DECISION)
EV_QUOTE_ACCEPTED: Final = int(K.QUOTE_ACCEPTED)
EV_QUOTE_REJECTED: Final = int(K.QUOTE_REJECTED)
EV_TRY_MATCH: Final = int(K.TRY_MATCH)
EV_BATCH_MATCH_RUN: Final = int(K.BATCH_MATCH_RUN)
EV_MATCH_ACCEPTED: Final = int(K.MATCH_ACCEPTED)
EV_DRIVER_DECISION: Final = int(K.DRIVER_DECISION)
EV_MATCH_REJECTED: Final = int(K.MATCH_REJECTED)
EV_MOVE_STEP: Final = int(K.MOVE_STEP)
EV_PICKUP_ETA_UPDATED: Final = int(K.PICKUP_ETA_UPDATED)
EV_TRIP_STARTED: Final = int(K.TRIP_STARTED)
EV_TRIP_COMPLETED: Final = int(K.TRIP_COMPLETED)
EV_RIDER_CANCEL: Final = int(K.RIDER_CANCEL)
EV_CHECK_DRIVER_OFF_DUTY: Final = int(K.CHECK_DRIVER_OFF_DUTY)

#: Each kind's bits of the heap key (higher ordinal pops first at equal times).
KIND_RANK: Final = tuple(event_key(0, kind, 0) for kind in range(len(K)))
#: MoveStep's rank, for the inlined push of the kernel's most frequent event.
MOVE_STEP_RANK: Final = KIND_RANK[EV_MOVE_STEP]

#: The +1 s delay of §2.7 (ShowQuote, QuoteDecision, MatchAccepted, …), and the
#: floor of every travel time.
ONE_SEC_MS: Final = 1000
#: The periodic CheckDriverOffDuty interval (§2.5, §6.7).
OFF_DUTY_PERIOD_MS: Final = 300_000
