"""The SQS dispatcher's pure plan: batch entries, splitting by count and size, classifying
a SendMessageBatch response, backoff. No AWS, no client."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sweeplib.contracts import ShardMessage
from sweeplib.dispatch.sqs import (
    ENQUEUED_STATUS,
    FAILED_STATUS,
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    MAX_MESSAGE_BYTES,
    BatchEntry,
    SqsDispatcher,
    backoff_delay,
    batch_entries,
    classify_batch_response,
    split_batches,
)
from sweeplib.errors import ConfigurationError
from tests.factories import one_point_shards


def entry(shard_id: int, size: int) -> BatchEntry:
    return BatchEntry(shard_id=shard_id, body="x" * size)


# -- entries ---------------------------------------------------------------------------------


def test_sqs_limits_are_the_documented_ones():
    assert MAX_BATCH_ENTRIES == 10
    assert MAX_MESSAGE_BYTES == MAX_BATCH_BYTES == 262_144
    assert (ENQUEUED_STATUS, FAILED_STATUS) == (200, 503)


def test_entries_carry_shard_id_and_the_message_json_in_order():
    messages = one_point_shards(3)
    entries = batch_entries(messages)
    assert [e.to_request() for e in entries] == [
        {"Id": str(m.shard_id), "MessageBody": m.to_json()} for m in messages
    ]
    assert [ShardMessage.from_json(e.body) for e in entries] == messages


def test_entry_size_counts_utf8_bytes_not_characters():
    assert BatchEntry(shard_id=0, body="é" * 10).size == 20
    assert BatchEntry(shard_id=0, body="€").size == 3


def test_duplicate_shard_ids_are_refused():
    message = one_point_shards(1)[0]
    with pytest.raises(ValueError, match="shard 0 appears twice"):
        batch_entries([message, message])


# -- splitting -------------------------------------------------------------------------------


def test_25_entries_make_batches_of_10_10_5():
    batches = split_batches(batch_entries(one_point_shards(25)))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [e.shard_id for b in batches for e in b] == list(range(25))


def test_no_entries_no_batches():
    assert split_batches([]) == []


def test_exactly_ten_entries_make_one_batch():
    assert [len(b) for b in split_batches([entry(i, 10) for i in range(10)])] == [10]


def test_batches_are_split_by_size_as_well_as_count():
    entries = [entry(i, 100_000) for i in range(5)]  # two fit in 256 KiB, three do not
    batches = split_batches(entries)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert all(sum(e.size for e in b) <= MAX_BATCH_BYTES for b in batches)


def test_a_batch_may_be_exactly_the_byte_limit():
    entries = [entry(0, MAX_BATCH_BYTES - 100), entry(1, 100), entry(2, 1)]
    assert [[e.shard_id for e in b] for b in split_batches(entries)] == [[0, 1], [2]]


def test_one_entry_of_exactly_the_limit_is_a_batch_alone():
    entries = [entry(0, 1), entry(1, MAX_BATCH_BYTES), entry(2, 1)]
    assert [[e.shard_id for e in b] for b in split_batches(entries)] == [[0], [1], [2]]


def test_split_counts_multibyte_characters_as_bytes():
    # 60,000 characters but 120,000 bytes each: only two fit in a batch.
    entries = [BatchEntry(shard_id=i, body="é" * 60_000) for i in range(3)]
    assert [len(b) for b in split_batches(entries)] == [2, 1]


def test_an_entry_over_the_batch_limit_cannot_be_split():
    with pytest.raises(ValueError, match="shard 1"):
        split_batches([entry(0, 5), entry(1, 101)], max_bytes=100)


@pytest.mark.parametrize(("max_entries", "max_bytes"), [(0, 100), (10, 0)])
def test_limits_below_one_are_refused(max_entries, max_bytes):
    with pytest.raises(ValueError, match="limits"):
        split_batches([entry(0, 1)], max_entries=max_entries, max_bytes=max_bytes)


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=1_000), max_size=60),
    max_entries=st.integers(min_value=1, max_value=10),
    max_bytes=st.integers(min_value=1_000, max_value=3_000),
)
def test_split_invariants(sizes, max_entries, max_bytes):
    entries = [entry(i, size) for i, size in enumerate(sizes)]
    batches = split_batches(entries, max_entries=max_entries, max_bytes=max_bytes)
    # order kept, nothing lost or repeated
    assert [e for b in batches for e in b] == entries
    for batch in batches:
        assert 1 <= len(batch) <= max_entries
        assert sum(e.size for e in batch) <= max_bytes
    # greedy: a batch was closed only because the next entry did not fit
    for previous, following in itertools.pairwise(batches):
        full = len(previous) == max_entries
        assert full or sum(e.size for e in previous) + following[0].size > max_bytes


# -- classifying a response -------------------------------------------------------------------


def test_classify_sorts_successful_retryable_sender_fault_and_missing():
    response = {
        "Successful": [{"Id": "0", "MessageId": "m0"}, {"Id": "1", "MessageId": "m1"}],
        "Failed": [
            {"Id": "2", "SenderFault": False, "Code": "InternalError", "Message": "try again"},
            {"Id": "3", "SenderFault": True, "Code": "InvalidMessageContents", "Message": "bad"},
            {"Id": "99", "SenderFault": False, "Code": "InternalError"},  # never sent
        ],
    }
    outcome = classify_batch_response(response, ["0", "1", "2", "3", "4"])
    assert outcome.enqueued == frozenset({"0", "1"})
    assert outcome.retry == {
        "2": "InternalError: try again (service fault)",
        "4": "MissingFromResponse: SQS reported neither success nor failure",
    }
    assert outcome.give_up == {"3": "InvalidMessageContents: bad (sender fault)"}


def test_classify_never_retries_an_entry_reported_successful():
    response = {
        "Successful": [{"Id": "0"}],
        "Failed": [{"Id": "0", "SenderFault": False, "Code": "InternalError"}],
    }
    outcome = classify_batch_response(response, ["0"])
    assert outcome.enqueued == frozenset({"0"})
    assert not outcome.retry
    assert not outcome.give_up


def test_classify_empty_response_retries_everything():
    outcome = classify_batch_response({}, ["5", "6"])
    assert set(outcome.retry) == {"5", "6"}
    assert not outcome.enqueued


# -- backoff and configuration -------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_backoff_doubles_with_equal_jitter(attempt):
    ceiling = 0.05 * 2 ** (attempt - 1)
    assert backoff_delay(attempt, 0.05, 0.0) == pytest.approx(ceiling / 2)
    assert backoff_delay(attempt, 0.05, 0.999999) == pytest.approx(ceiling, rel=1e-5)
    rand = random.Random(attempt).random()
    assert ceiling / 2 <= backoff_delay(attempt, 0.05, rand) <= ceiling


def test_backoff_is_capped():
    assert backoff_delay(30, 0.05, 0.999999) <= 2.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"base_delay_s": -1.0}, "base_delay_s"),
    ],
)
def test_dispatcher_refuses_bad_limits(kwargs, name):
    with pytest.raises(ConfigurationError) as info:
        SqsDispatcher("http://127.0.0.1:1/queue/q", client=object(), **kwargs)
    assert info.value.name == name


def test_dispatcher_refuses_an_empty_queue_url():
    with pytest.raises(ConfigurationError) as info:
        SqsDispatcher("", client=object())
    assert info.value.name == "queue_url"


def test_dispatching_nothing_makes_no_call():
    class NoCalls:
        def send_message_batch(self, **kwargs):
            raise AssertionError("no call expected")

    report = SqsDispatcher("http://127.0.0.1:1/queue/q", client=NoCalls()).dispatch([])
    assert report.records == ()
