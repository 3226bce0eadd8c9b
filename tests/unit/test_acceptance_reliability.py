"""Acceptance that cannot half-happen, and stored runs read regardless of today's limits.

Issue 15, items 1 and 3: an acceptance interrupted after the run-id claim is completed
by the next acceptance (replay or rerun), and a run accepted under a deployment's
limits stays readable (status, rerun) whatever the reader's limits are.
"""

from __future__ import annotations

import threading
import time

import pytest

from sweeplib import services
from sweeplib.contracts import Limits, parse_sweep_request
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.errors import StorageError
from sweeplib.storage import MemoryObjectStore, keys
from sweeplib.submissions import claim_run, read_dispatch_state
from tests.factories import NOW, RUN_DATE, request_body

CONTEXT_KEY = keys.RunAddress.of(RUN_DATE, "ctx-run").run_context_key()


class Queue:
    def __init__(self):
        self.sent = []

    def dispatch(self, messages):
        self.sent.extend(m.shard_id for m in messages)
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


class FailingOnce(MemoryObjectStore):
    """A store whose first write of one key fails (an S3 error or timeout on that PUT)."""

    def __init__(self, key):
        super().__init__()
        self.key, self.failed = key, False

    def put(self, key, body, *, if_absent=False):
        if key == self.key and not self.failed:
            self.failed = True
            raise StorageError(key, "InternalError: We encountered an internal error")
        super().put(key, body, if_absent=if_absent)


def test_a_replay_writes_the_run_context_a_failed_first_acceptance_did_not():
    store, queue = FailingOnce(CONTEXT_KEY), Queue()
    request = parse_sweep_request(request_body("ctx-run"))
    with pytest.raises(StorageError):
        services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert not store.exists(CONTEXT_KEY) and queue.sent == []

    again = services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert not again.first_acceptance  # the claim stood: this is a replay
    assert store.exists(CONTEXT_KEY)
    assert sorted(queue.sent) == [0, 1, 2]


def test_the_run_context_of_a_replay_is_the_first_acceptances_bytes():
    request = parse_sweep_request(request_body("ctx-run"))
    whole = MemoryObjectStore()
    services.submit(request, store=whole, dispatcher=Queue(), now=NOW, request_source="local")
    broken = FailingOnce(CONTEXT_KEY)
    with pytest.raises(StorageError):
        services.submit(request, store=broken, dispatcher=Queue(), now=NOW, request_source="local")
    # the retry comes through another shell: the record keeps the first source
    services.submit(request, store=broken, dispatcher=Queue(), now=NOW, request_source="api")
    assert broken.get(CONTEXT_KEY) == whole.get(CONTEXT_KEY)


def test_rerun_writes_the_run_context_of_a_run_claimed_by_a_crashed_acceptance():
    store = MemoryObjectStore()
    request = parse_sweep_request(request_body("ctx-run"))
    claim_run(store, request, now=NOW, request_source="api")  # then the process died
    queue = Queue()
    rerun = services.rerun(store, "ctx-run", queue)
    assert store.exists(CONTEXT_KEY)
    assert rerun.shard_ids == (0, 1, 2) and sorted(queue.sent) == [0, 1, 2]


def test_an_existing_run_context_is_not_rewritten():
    store = MemoryObjectStore()
    request = parse_sweep_request(request_body("ctx-run"))
    services.submit(request, store=store, dispatcher=Queue(), now=NOW, request_source="api")
    writes = []
    real_put = store.put
    store.put = lambda key, body, **kw: writes.append(key) or real_put(key, body, **kw)
    services.submit(request, store=store, dispatcher=Queue(), now=NOW, request_source="api")
    services.rerun(store, "ctx-run", Queue())
    assert CONTEXT_KEY not in writes


# -- item 3: a run accepted under higher limits ---------------------------------------

BIG = {"num_riders": list(range(1, 501)), "num_drivers": list(range(1, 501))}  # 250,000


def test_status_and_rerun_read_a_run_accepted_above_the_default_limits():
    raised = Limits(max_points=300_000, max_shards=2_000)
    request = parse_sweep_request(
        request_body("big-run", dimensions=BIG, shard_count=1_500), raised
    )
    store, queue = MemoryObjectStore(), Queue()
    services.submit(
        request, store=store, dispatcher=queue, now=NOW, request_source="api", limits=raised
    )
    found = services.status(store, "big-run", with_errors=False)
    assert found.total_points == 250_000 and found.planned == 1_500
    assert len(found.missing) == 1_500
    queue.sent.clear()
    rerun = services.rerun(store, "big-run", queue)
    assert len(rerun.shard_ids) == 1_500 and len(queue.sent) == 1_500


# -- item 6: dispatch at most once per shard, whatever the submissions ------------------


class SlowQueue:
    """A thread-safe queue twin that takes a while to answer (widens every race)."""

    def __init__(self, refuse=(), die_after_send=False):
        self.sent, self.refuse, self.die = [], set(refuse), die_after_send
        self.lock = threading.Lock()

    def dispatch(self, messages):
        time.sleep(0.05)
        records = []
        for m in messages:
            if m.shard_id in self.refuse:
                records.append(DispatchRecord(m.shard_id, 503, "ServiceUnavailable"))
                continue
            with self.lock:
                self.sent.append(m.shard_id)
            records.append(DispatchRecord(m.shard_id, 200))
        if self.die:
            self.die = False
            raise RuntimeError("the function died after the messages were enqueued")
        return DispatchReport(tuple(records))


def test_concurrent_identical_submissions_enqueue_each_shard_once():
    store, queue = MemoryObjectStore(), SlowQueue()
    request = parse_sweep_request(request_body("twins", shard_count=3))
    barrier = threading.Barrier(5)
    answers = []

    def submit():
        barrier.wait()
        answers.append(
            services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
        )

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(queue.sent) == [0, 1, 2]  # the plan, once
    assert len(answers) == 5 and all(a.complete for a in answers)
    assert sum(1 for a in answers if a.report.records) == 1  # one submission sent


def test_a_retry_after_a_crash_that_followed_the_send_sends_nothing_again():
    store, queue = MemoryObjectStore(), SlowQueue(die_after_send=True)
    request = parse_sweep_request(request_body("crashy"))
    with pytest.raises(RuntimeError):
        services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    again = services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert sorted(queue.sent) == [0, 1, 2] and again.replayed and again.complete


def test_shards_the_queue_refused_are_sent_by_the_next_submission_only():
    store = MemoryObjectStore()
    request = parse_sweep_request(request_body("refused"))
    first = services.submit(
        request, store=store, dispatcher=SlowQueue(refuse={1}), now=NOW, request_source="api"
    )
    assert first.not_dispatched == (1,)
    queue = SlowQueue()
    rest = services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert queue.sent == [1] and rest.complete
    assert read_dispatch_state(store, "refused", prefix=keys.DEFAULT_PREFIX).rounds == 2


def test_a_run_dispatched_under_the_legacy_ledger_is_not_dispatched_again():
    store = MemoryObjectStore()
    request = parse_sweep_request(request_body("legacy"))
    claim_run(store, request, now=NOW, request_source="api")
    store.put(keys.dispatch_ledger_key("legacy"), b'{"dispatched_shards":[0,2],"run_id":"legacy"}')
    queue = SlowQueue()
    services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert queue.sent == [1]


# -- item 8: replay and status stay cheap ------------------------------------------------


def test_a_replay_builds_no_shard_message(monkeypatch):
    from sweeplib.contracts import message as message_module

    store = MemoryObjectStore()
    request = parse_sweep_request(request_body("replayed", shard_count=3))
    services.submit(request, store=store, dispatcher=Queue(), now=NOW, request_source="api")
    built = []
    real = message_module.ShardMessage.__post_init__
    monkeypatch.setattr(
        message_module.ShardMessage,
        "__post_init__",
        lambda self: built.append(self.shard_id) or real(self),
    )
    again = services.submit(request, store=store, dispatcher=Queue(), now=NOW, request_source="api")
    assert again.replayed and built == []


class ConcurrentReads(MemoryObjectStore):
    """Failure records can only be read when 8 reads are in flight at once."""

    def __init__(self):
        super().__init__()
        self.barrier = threading.Barrier(8)

    def get(self, key):
        if "status_partition=failure" in key:
            self.barrier.wait(timeout=10)
        return super().get(key)


def test_status_reads_failure_records_concurrently():
    store = ConcurrentReads()
    body = request_body(
        "failing",
        dimensions={"num_riders": list(range(1, 17)), "num_drivers": [3]},
        shard_count=16,
        failure_injection_shards=list(range(16)),
    )
    dispatcher = InlineDispatcher(store, clock=lambda: NOW)
    request = parse_sweep_request(body)
    services.submit(request, store=store, dispatcher=dispatcher, now=NOW, request_source="api")
    found = services.status(store, "failing")
    assert len(found.failed) == 16
    assert {f.error_code for f in found.failed} == {"injected_failure"}


class CountingReads(MemoryObjectStore):
    def __init__(self):
        super().__init__()
        self.failure_reads = 0

    def get(self, key):
        if "status_partition=failure" in key:
            self.failure_reads += 1
        return super().get(key)


def test_the_api_status_reads_a_bounded_number_of_failure_records():
    """Issue 15 item 8: GET status of a run with many failed shards reads at most
    STATUS_ERROR_DETAILS failure records; the rest are listed by id and counted."""
    import json

    from sweeplib.config import DeploymentConfig
    from sweeplib.handler import STATUS_ERROR_DETAILS, Deployment, handle
    from tests.events import api_get

    store = CountingReads()
    shards = STATUS_ERROR_DETAILS + 30
    body = request_body(
        "many-failed",
        dimensions={"num_riders": list(range(1, shards + 1)), "num_drivers": [3]},
        shard_count=shards,
        failure_injection_shards=list(range(shards)),
    )
    request = parse_sweep_request(body)
    services.submit(request, store=store, dispatcher=InlineDispatcher(store, clock=lambda: NOW),
                    now=NOW, request_source="api")  # fmt: skip
    config = DeploymentConfig.from_env({"SWEEP_RESULTS_BUCKET": "b"})
    deployment = Deployment(config, store, None, lambda: NOW)
    store.failure_reads = 0
    answer = handle(api_get(2, "many-failed"), deployment=lambda: deployment)
    document = json.loads(answer["body"])
    assert answer["statusCode"] == 200 and document["failed_shards"] == shards
    assert store.failure_reads == STATUS_ERROR_DETAILS
    assert document["failure_details_omitted"] == 30
    codes = [f["error_code"] for f in document["failed"]]
    assert codes == ["injected_failure"] * STATUS_ERROR_DETAILS + [None] * 30
    # The library and the CLI still read every record when asked for all of them.
    assert {f.error_code for f in services.status(store, "many-failed").failed} == {
        "injected_failure"
    }
    assert services.status(store, "many-failed").failure_details_omitted == 0
