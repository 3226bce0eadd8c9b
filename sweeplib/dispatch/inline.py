"""``InlineDispatcher``: run shard messages one after another in this process.

The in-process twin of the SQS and process-pool dispatchers: tests and small notebook
runs use it to go through exactly the worker the Lambda runs, without processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sweeplib.contracts import ShardMessage
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.errors import ShardFailed
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore

__all__ = ["InlineDispatcher"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InlineDispatcher:
    """Execute each message with :func:`sweeplib.worker.execute_shard`, in order.

    Every shard gets status 200 (it ran to a recorded outcome); ``failures`` collects
    the :class:`~sweeplib.errors.ShardFailed` errors of this dispatcher's calls.
    """

    def __init__(
        self,
        store: ObjectStore,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
        prefix: str = keys.DEFAULT_PREFIX,
    ) -> None:
        self.store = store
        self.clock = clock
        self.prefix = prefix
        self.failures: list[ShardFailed] = []

    def dispatch(self, messages: Sequence[ShardMessage]) -> DispatchReport:
        """Run the shards in shard order; one record per shard, in shard order."""
        from sweeplib.worker import execute_shard

        records = []
        for message in sorted(messages, key=lambda m: m.shard_id):
            try:
                result = execute_shard(message, self.store, self.clock(), prefix=self.prefix)
                detail = result.status
            except ShardFailed as failure:
                self.failures.append(failure)
                detail = f"failure: {failure.error_code}"
            records.append(DispatchRecord(message.shard_id, 200, detail))
        return DispatchReport(tuple(records))
