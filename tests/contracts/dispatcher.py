"""The ``Dispatcher`` contract (:class:`sweeplib.dispatch.Dispatcher`), run against every
dispatcher: ``dispatch(messages)`` hands each message over exactly once and answers one
record per message, in shard order, whose ``dispatched`` ids are the shards handed over.

"Handed over" depends on the far side. A dispatcher that runs shards (in-process, process
pool) has handed a message over when the shard's outcome record is in the store, success
or failure; a queue, when the message is in the queue with exactly the message's JSON.

An adapter's test class subclasses :class:`DispatcherContract` and provides

* a ``dispatcher`` fixture: the adapter, its far side empty (a fresh store or queue);
* a ``handed_over`` fixture: a function returning one receipt for every hand-over seen on
  the far side so far (a queue's is drained by it);
* :meth:`DispatcherContract.receipt`: the receipt a message leaves when handed over.

The messages are one-point shards that run in milliseconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from sweeplib.contracts import ShardMessage
from sweeplib.dispatch import Dispatcher
from sweeplib.storage import decode_table, keys
from sweeplib.storage.store import ObjectStore
from tests.factories import one_point_shards


def outcome_receipt(message: ShardMessage) -> tuple[str, int, int, int]:
    """What a shard's outcome record says about the message it ran."""
    return (message.run_id, message.shard_id, message.start_index, message.end_index_exclusive)


def outcome_receipts(store: ObjectStore) -> list[tuple[str, int, int, int]]:
    """One :func:`outcome_receipt` per outcome record in ``store`` (success or failure)."""
    receipts = []
    for key in store.list(keys.dataset_prefix("shard_outcomes")):
        row = decode_table(store.get(key)).to_pylist()[0]
        receipts.append(
            (row["run_id"], row["shard_id"], row["start_index"], row["end_index_exclusive"])
        )
    return receipts


class DispatcherContract:
    """What every ``Dispatcher`` does. Subclasses provide the ``dispatcher`` and
    ``handed_over`` fixtures and :meth:`receipt`."""

    def receipt(self, message: ShardMessage) -> Hashable:
        """What the far side holds once ``message`` is handed over."""
        raise NotImplementedError

    def assert_handed_over_once(self, handed_over, messages: list[ShardMessage]) -> None:
        assert Counter(handed_over()) == Counter(self.receipt(m) for m in messages)

    def test_dispatcher_implements_the_port(self, dispatcher):
        assert isinstance(dispatcher, Dispatcher)

    def test_nothing_to_dispatch_is_an_empty_report(self, dispatcher, handed_over):
        report = dispatcher.dispatch([])
        assert report.records == ()
        assert report.dispatched == report.not_dispatched == ()
        assert handed_over() == []

    def test_every_message_is_handed_over_exactly_once(self, dispatcher, handed_over):
        messages = one_point_shards(4)
        report = dispatcher.dispatch(messages)
        assert [r.shard_id for r in report.records] == [0, 1, 2, 3]
        assert all(r.dispatched and 200 <= r.status_code < 300 for r in report.records)
        assert report.dispatched == (0, 1, 2, 3)
        assert report.not_dispatched == ()
        self.assert_handed_over_once(handed_over, messages)

    def test_records_come_in_shard_order_whatever_the_order_given(self, dispatcher, handed_over):
        messages = one_point_shards(3)
        report = dispatcher.dispatch(messages[::-1])
        assert [r.shard_id for r in report.records] == [0, 1, 2]
        assert report.dispatched == (0, 1, 2)
        self.assert_handed_over_once(handed_over, messages)

    def test_only_the_messages_given_are_handed_over(self, dispatcher, handed_over):
        messages = one_point_shards(3)
        chosen = [messages[0], messages[2]]
        report = dispatcher.dispatch(chosen)
        assert [r.shard_id for r in report.records] == [0, 2]
        assert report.dispatched == (0, 2)
        self.assert_handed_over_once(handed_over, chosen)

    def test_a_shard_that_will_fail_is_handed_over_all_the_same(self, dispatcher, handed_over):
        """The report is about handing over, not about how the shard ends."""
        messages = one_point_shards(3, failure_injection_shards=[1])
        report = dispatcher.dispatch(messages)
        assert report.dispatched == (0, 1, 2)
        assert report.not_dispatched == ()
        self.assert_handed_over_once(handed_over, messages)
