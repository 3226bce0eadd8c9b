"""SqsDispatcher against moto's SQS over HTTP: the Dispatcher contract, then batching,
parallelism, retry of the Failed entries only, persistent and sender-fault failures,
refusals before sending, and the DLQ redrive the queue fixture sets up."""

from __future__ import annotations

import threading
import time
from collections import Counter

import botocore.exceptions
import pytest

from sweeplib.contracts import ShardMessage
from sweeplib.dispatch.sqs import MAX_BATCH_BYTES, SqsDispatcher
from tests.contracts.dispatcher import DispatcherContract
from tests.factories import messages_of, one_point_shards

from .conftest import MAX_RECEIVE_COUNT


def drain(sqs_client, queue_url: str, expected: int | None = None) -> list[str]:
    """Receive and delete messages until ``expected`` arrived (by default: until the
    queue stays empty); return their bodies."""
    bodies: list[str] = []
    empty = 0
    while (expected is None or len(bodies) < expected) and empty < 3:
        batch = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not batch:
            empty += 1
            continue
        empty = 0
        bodies.extend(m["Body"] for m in batch)
        sqs_client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    return bodies


def queue_depth(sqs_client, queue_url: str) -> int:
    attributes = sqs_client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


class TestSqsDispatcher(DispatcherContract):
    """Handed over: in the queue, received once, with exactly the message's JSON."""

    @pytest.fixture
    def dispatcher(self, queues, sqs_client):
        return SqsDispatcher(queues.url, client=sqs_client)

    @pytest.fixture
    def handed_over(self, queues, sqs_client):
        return lambda: drain(sqs_client, queues.url)

    def receipt(self, message):
        return message.to_json()


class RecordingSqs:
    """The moto SQS client, recording every SendMessageBatch call's entry ids and sizes.

    ``fail`` maps an entry id to how many of its sends fail (``-1``: all of them) and with
    which SQS error; a failing entry is not passed to moto but reported in ``Failed``,
    as SQS does. ``raise_first`` makes the first ``n`` calls fail as a whole.
    """

    def __init__(self, client, *, fail=None, raise_first=0, raise_code="ThrottlingException"):
        self._client = client
        self._fail = dict(fail or {})
        self._raise_first = raise_first
        self._raise_code = raise_code
        self._lock = threading.Lock()
        self.calls: list[list[str]] = []
        self.call_bytes: list[int] = []
        self.sent_to_sqs: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_s = 0.0

    def _failure_for(self, entry_id: str):
        remaining, code, sender_fault = self._fail.get(entry_id, (0, None, False))
        if remaining == 0:
            return None
        if remaining > 0:
            self._fail[entry_id] = (remaining - 1, code, sender_fault)
        return {"Id": entry_id, "Code": code, "Message": "injected", "SenderFault": sender_fault}

    def send_message_batch(self, *, QueueUrl, Entries):  # noqa: N803 (the SDK's names)
        with self._lock:
            self.calls.append([e["Id"] for e in Entries])
            self.call_bytes.append(sum(len(e["MessageBody"].encode()) for e in Entries))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            raise_now = len(self.calls) <= self._raise_first
            failures = [] if raise_now else [self._failure_for(e["Id"]) for e in Entries]
        try:
            time.sleep(self.delay_s)
            if raise_now:
                error = {
                    "Error": {"Code": self._raise_code, "Message": "slow down"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                }
                raise botocore.exceptions.ClientError(error, "SendMessageBatch")
            passed = [e for e, f in zip(Entries, failures, strict=True) if f is None]
            response = {"Successful": [], "Failed": [f for f in failures if f is not None]}
            if passed:
                real = self._client.send_message_batch(QueueUrl=QueueUrl, Entries=passed)
                response["Successful"] = real.get("Successful", [])
                response["Failed"] += real.get("Failed", [])
                with self._lock:
                    self.sent_to_sqs.update(e["Id"] for e in passed)
            return response
        finally:
            with self._lock:
                self.in_flight -= 1


def no_sleep(_seconds: float) -> None:
    pass


# -- the happy path ---------------------------------------------------------------------------


def test_25_messages_go_in_3_batches_and_all_arrive(queues, sqs_client):
    messages = one_point_shards(25)
    client = RecordingSqs(sqs_client)
    report = SqsDispatcher(queues.url, client=client).dispatch(messages)

    assert sorted(len(call) for call in client.calls) == [5, 10, 10]
    assert [(r.shard_id, r.status_code, r.detail) for r in report.records] == [
        (s, 200, None) for s in range(25)
    ]
    assert report.dispatched == tuple(range(25))
    assert report.not_dispatched == ()
    bodies = drain(sqs_client, queues.url, 25)
    assert sorted(bodies) == sorted(m.to_json() for m in messages)
    assert sorted(ShardMessage.from_json(b).shard_id for b in bodies) == list(range(25))


def test_default_client_comes_from_the_factory(queues, sqs_client, aws_environment):
    dispatcher = SqsDispatcher(queues.url)
    report = dispatcher.dispatch(one_point_shards(3))
    assert report.dispatched == (0, 1, 2)
    assert len(drain(sqs_client, queues.url, 3)) == 3


def test_batches_are_split_by_size_and_never_exceed_256_kib(queues, sqs_client):
    fares = [1000.0 + i / 7 for i in range(4_000)]  # ~72 KB per message: 3 fit in a batch
    messages = one_point_shards(10, base_fare=fares)
    client = RecordingSqs(sqs_client)
    report = SqsDispatcher(queues.url, client=client).dispatch(messages)
    assert report.dispatched == tuple(range(10))
    assert [len(call) for call in sorted(client.calls)] == [3, 3, 3, 1]
    assert max(client.call_bytes) <= MAX_BATCH_BYTES
    assert sorted(drain(sqs_client, queues.url, 10)) == sorted(m.to_json() for m in messages)


def test_several_batches_are_in_flight_but_no_more_than_max_in_flight(queues, sqs_client):
    client = RecordingSqs(sqs_client)
    client.delay_s = 0.05
    dispatcher = SqsDispatcher(queues.url, client=client, max_in_flight=4)
    report = dispatcher.dispatch(one_point_shards(100))
    assert len(report.dispatched) == 100
    assert len(client.calls) == 10
    assert 2 <= client.max_in_flight <= 4


@pytest.mark.slow  # ~6 s: moto fills and drains a queue of 1,000
def test_a_thousand_messages_all_arrive(queues, sqs_client):
    # 40 × 25 points in 1,000 one-point shards: small messages, as in a real large plan.
    body = {
        "run_id": "thousand",
        "dimensions": {"num_riders": list(range(1, 41)), "num_drivers": list(range(1, 26))},
        "shard_count": 1_000,
    }
    messages = messages_of(body)
    report = SqsDispatcher(queues.url, client=sqs_client).dispatch(messages)
    bodies = drain(sqs_client, queues.url, 1_000)
    assert report.dispatched == tuple(range(1_000))
    assert sorted(ShardMessage.from_json(b).shard_id for b in bodies) == list(range(1_000))
    assert sorted(bodies) == sorted(m.to_json() for m in messages)


# -- retries ----------------------------------------------------------------------------------


def test_partial_failure_resends_only_the_failed_entries(queues, sqs_client):
    messages = one_point_shards(25)
    fail_once = {"3": (1, "InternalError", False), "17": (2, "ServiceUnavailable", False)}
    client = RecordingSqs(sqs_client, fail=fail_once)
    delays: list[float] = []
    report = SqsDispatcher(queues.url, client=client, sleep=delays.append).dispatch(messages)

    assert report.dispatched == tuple(range(25))
    # every shard reached SQS exactly once: nothing Successful was sent again
    assert client.sent_to_sqs == Counter(str(s) for s in range(25))
    retries = [call for call in client.calls if len(call) < 5]
    assert sorted(retries) == [["17"], ["17"], ["3"]]
    assert len(delays) == 3
    assert all(0.025 <= d <= 0.1 for d in delays)
    bodies = drain(sqs_client, queues.url, 25)
    assert sorted(bodies) == sorted(m.to_json() for m in messages)


def test_persistent_failure_ends_as_503_for_exactly_those_shards(queues, sqs_client):
    always = {"3": (-1, "InternalError", False), "17": (-1, "InternalError", False)}
    client = RecordingSqs(sqs_client, fail=always)
    dispatcher = SqsDispatcher(queues.url, client=client, max_attempts=4, sleep=no_sleep)
    report = dispatcher.dispatch(one_point_shards(25))

    assert report.not_dispatched == (3, 17)
    assert report.dispatched == tuple(s for s in range(25) if s not in (3, 17))
    failed = {r.shard_id: r for r in report.records if not r.dispatched}
    assert {r.status_code for r in failed.values()} == {503}
    assert "InternalError" in failed[3].detail
    assert "after 4 attempts" in failed[3].detail
    attempts = Counter(entry for call in client.calls for entry in call)
    assert attempts["3"] == attempts["17"] == 4
    assert attempts["0"] == 1
    assert len(drain(sqs_client, queues.url, 25)) == 23


def test_sender_fault_is_not_retried(queues, sqs_client):
    client = RecordingSqs(sqs_client, fail={"2": (-1, "InvalidMessageContents", True)})
    report = SqsDispatcher(queues.url, client=client, sleep=no_sleep).dispatch(one_point_shards(5))
    assert report.not_dispatched == (2,)
    record = report.records[2]
    assert record.status_code == 503
    assert "InvalidMessageContents" in record.detail
    assert "sender fault" in record.detail
    assert client.calls == [["0", "1", "2", "3", "4"]]


def test_whole_batch_throttling_is_retried(queues, sqs_client):
    client = RecordingSqs(sqs_client, raise_first=2)
    delays: list[float] = []
    dispatcher = SqsDispatcher(queues.url, client=client, max_in_flight=1, sleep=delays.append)
    report = dispatcher.dispatch(one_point_shards(5))
    assert report.dispatched == (0, 1, 2, 3, 4)
    assert len(client.calls) == 3
    assert len(delays) == 2
    assert delays[1] > delays[0] / 2  # backoff grows (with jitter)
    assert sorted(drain(sqs_client, queues.url, 5)) == sorted(
        m.to_json() for m in one_point_shards(5)
    )


def test_missing_queue_fails_every_shard_without_retrying(queues, sqs_client):
    client = RecordingSqs(sqs_client)
    dispatcher = SqsDispatcher(f"{queues.url}-missing", client=client, sleep=no_sleep)
    report = dispatcher.dispatch(one_point_shards(12))
    assert report.dispatched == ()
    assert all(r.status_code == 503 for r in report.records)
    assert "NonExistentQueue" in report.records[0].detail
    assert sorted(len(call) for call in client.calls) == [2, 10]


def test_unreachable_endpoint_ends_as_503_after_the_attempts(queues, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1")  # nothing listens there
    delays: list[float] = []
    dispatcher = SqsDispatcher(queues.url, max_attempts=3, sleep=delays.append)
    report = dispatcher.dispatch(one_point_shards(2))
    assert report.not_dispatched == (0, 1)
    assert "EndpointConnectionError" in report.records[0].detail
    assert len(delays) == 2  # botocore did not retry on its own: three calls, two waits


# -- refusals before sending ---------------------------------------------------------------


def test_an_oversize_message_is_refused_and_nothing_is_sent(queues, sqs_client):
    # Planning refuses such a run first (Limits.max_message_bytes, tests/unit/test_planning.py);
    # the dispatcher still never sends a body over a batch's byte limit.
    floats = [1000.0 + i / 7 for i in range(10_000)]
    messages = one_point_shards(3, base_fare=floats, per_km_rate=floats)
    client = RecordingSqs(sqs_client)
    with pytest.raises(ValueError, match="shard 0's body is"):
        SqsDispatcher(queues.url, client=client).dispatch(messages)
    assert client.calls == []
    assert queue_depth(sqs_client, queues.url) == 0


def test_duplicate_shards_are_refused_and_nothing_is_sent(queues, sqs_client):
    messages = one_point_shards(3)
    client = RecordingSqs(sqs_client)
    with pytest.raises(ValueError, match="twice"):
        SqsDispatcher(queues.url, client=client).dispatch([*messages, messages[1]])
    assert client.calls == []


# -- the queue fixture -----------------------------------------------------------------------


def test_a_message_received_too_often_moves_to_the_dlq(queues, sqs_client):
    SqsDispatcher(queues.url, client=sqs_client).dispatch(one_point_shards(1))
    for _ in range(MAX_RECEIVE_COUNT):
        received = sqs_client.receive_message(QueueUrl=queues.url, VisibilityTimeout=0)
        assert len(received["Messages"]) == 1  # received, never deleted: a failing worker
    assert "Messages" not in sqs_client.receive_message(QueueUrl=queues.url, VisibilityTimeout=0)
    dead = sqs_client.receive_message(QueueUrl=queues.dlq_url)["Messages"]
    assert ShardMessage.from_json(dead[0]["Body"]).shard_id == 0
