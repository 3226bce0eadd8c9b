"""The ``Dispatcher`` port: hand shard messages to whatever executes them.

Implementations: the local process pool (``sweeplib.local``) and, for AWS, the SQS
dispatcher (``sweeplib.dispatch.sqs``). Orchestration only sees this port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sweeplib.contracts import ShardMessage

__all__ = ["MAX_MESSAGE_BYTES", "DispatchRecord", "DispatchReport", "Dispatcher"]

#: Largest shard message, UTF-8 bytes, for a dispatcher that queues messages: SQS accepts
#: 1 MiB now, older stacks 256 KiB — stay under the lower limit (DESIGN §6). A deployment
#: makes it a planning limit (``Limits.max_message_bytes``), so plans over it are refused
#: when submitted, before anything is written.
MAX_MESSAGE_BYTES = 256 * 1024


@dataclass(frozen=True)
class DispatchRecord:
    """What happened to one shard's message.

    ``status_code`` follows the original's 202 body: 200/202 for a message handed
    over (enqueued, or run locally and succeeded), 5xx when it could not be.
    """

    shard_id: int
    status_code: int
    detail: str | None = None

    @property
    def dispatched(self) -> bool:
        return self.status_code < 300


@dataclass(frozen=True)
class DispatchReport:
    records: tuple[DispatchRecord, ...] = field(default_factory=tuple)

    @property
    def dispatched(self) -> tuple[int, ...]:
        return tuple(r.shard_id for r in self.records if r.dispatched)

    @property
    def not_dispatched(self) -> tuple[int, ...]:
        return tuple(r.shard_id for r in self.records if not r.dispatched)


@runtime_checkable
class Dispatcher(Protocol):
    """Hands shard messages over for execution; reports per shard."""

    def dispatch(self, messages: Sequence[ShardMessage]) -> DispatchReport: ...
