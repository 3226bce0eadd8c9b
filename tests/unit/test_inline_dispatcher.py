"""The Dispatcher contract against the in-process dispatcher over the memory store (the
process pool runs it in tests/functional, SQS in tests/integration), and what only the
inline dispatcher does: it keeps the failures it met and names each shard's outcome."""

from __future__ import annotations

import pytest

from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.storage import MemoryObjectStore, decode_table, keys
from tests.contracts.dispatcher import DispatcherContract, outcome_receipt, outcome_receipts
from tests.factories import NOW, RUN_DATE, one_point_shards


class TestInlineDispatcher(DispatcherContract):
    @pytest.fixture
    def store(self):
        return MemoryObjectStore()

    @pytest.fixture
    def dispatcher(self, store):
        return InlineDispatcher(store, clock=lambda: NOW)

    @pytest.fixture
    def handed_over(self, store):
        return lambda: outcome_receipts(store)

    def receipt(self, message):
        return outcome_receipt(message)


def test_failures_are_kept_and_every_record_names_the_outcome():
    store = MemoryObjectStore()
    dispatcher = InlineDispatcher(store, clock=lambda: NOW)
    report = dispatcher.dispatch(one_point_shards(3, failure_injection_shards=[1]))
    assert [(r.shard_id, r.status_code, r.detail) for r in report.records] == [
        (0, 200, "success"),
        (1, 200, "failure: injected_failure"),
        (2, 200, "success"),
    ]
    (failure,) = dispatcher.failures
    assert (failure.shard_id, failure.error_code) == (1, "injected_failure")
    again = dispatcher.dispatch(one_point_shards(3, failure_injection_shards=[1])[:1])
    assert again.records[0].detail == "skipped"  # a committed shard is not run twice
    assert len(dispatcher.failures) == 1


def test_outcomes_carry_the_dispatchers_clock():
    store = MemoryObjectStore()
    InlineDispatcher(store, clock=lambda: NOW).dispatch(one_point_shards(1))
    key = keys.RunAddress.of(RUN_DATE, "dispatch-test").shard_outcome_key("success", 0)
    assert decode_table(store.get(key)).to_pylist()[0]["event_time"] == "2026-02-14T10:30:00.000Z"
