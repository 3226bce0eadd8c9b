"""The service layer: submit, rerun, status and watch, over in-memory twins of the ports."""

from __future__ import annotations

import datetime as dt

import pytest

from sweeplib import services
from sweeplib.contracts import Limits, parse_sweep_request
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.errors import InvalidRequest, ObjectNotFound, PlanTooLarge, RunConflict, WaitTimedOut
from sweeplib.storage import MemoryObjectStore, keys
from sweeplib.submissions import load_submission, read_dispatch_ledger
from tests.factories import NOW, request_body, submit_inline

REQUEST = request_body("client-run", failure_injection_shards=[1])


class Refusing:
    """A dispatcher that can hand over only some shards (a queue refusing entries)."""

    def __init__(self, refused=()):
        self.refused = set(refused)
        self.calls = []

    def dispatch(self, messages):
        self.calls.append([m.shard_id for m in messages])
        return DispatchReport(
            tuple(
                DispatchRecord(m.shard_id, 503 if m.shard_id in self.refused else 200)
                for m in messages
            )
        )


# -- submit -----------------------------------------------------------------------------


def test_submit_claims_records_and_dispatches_every_shard_once():
    store, queue = MemoryObjectStore(), Refusing()
    request = parse_sweep_request(REQUEST)
    first = services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert first.first_acceptance and first.complete and not first.replayed
    assert queue.calls == [[0, 1, 2]]
    assert load_submission(store, "client-run").run_date == "2026-02-14"
    context = keys.RunAddress.of("2026-02-14", "client-run").run_context_key()
    assert store.exists(context)
    assert read_dispatch_ledger(store, "client-run") == {0, 1, 2}

    later = NOW + dt.timedelta(days=3)
    again = services.submit(request, store=store, dispatcher=queue, now=later, request_source="api")
    assert again.replayed and not again.first_acceptance
    assert again.submission.run_date == "2026-02-14"  # fixed once, at the first acceptance
    assert queue.calls == [[0, 1, 2]]  # nothing handed over twice
    assert again.response_body() == first.response_body()


def test_a_partial_dispatch_is_completed_by_submitting_again():
    store = MemoryObjectStore()
    request = parse_sweep_request(REQUEST)
    partial = services.submit(
        request, store=store, dispatcher=Refusing({1}), now=NOW, request_source="api"
    )
    assert not partial.complete and partial.not_dispatched == (1,)
    assert partial.response_body()["status"] == "dispatch_incomplete"
    queue = Refusing()
    rest = services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    assert queue.calls == [[1]] and rest.complete and rest.dispatched == (0, 1, 2)


def test_another_request_under_a_taken_run_id_is_a_conflict_and_writes_nothing():
    store = MemoryObjectStore()
    services.submit(
        parse_sweep_request(REQUEST),
        store=store,
        dispatcher=Refusing(),
        now=NOW,
        request_source="api",
    )
    before = dict(store._objects)
    other = parse_sweep_request({**REQUEST, "seed": 12})
    with pytest.raises(RunConflict):
        services.submit(other, store=store, dispatcher=Refusing(), now=NOW, request_source="api")
    assert store._objects == before


def test_the_message_size_limit_refuses_a_plan_before_anything_is_written():
    store, queue = MemoryObjectStore(), Refusing()
    request = parse_sweep_request(REQUEST)
    with pytest.raises(PlanTooLarge) as caught:
        services.submit(
            request,
            store=store,
            dispatcher=queue,
            now=NOW,
            request_source="api",
            limits=Limits(max_message_bytes=300),
        )
    assert caught.value.field == "dimensions"
    assert "the queue message of shard 0 is" in caught.value.reason
    assert list(store.list("")) == [] and queue.calls == []


def test_submit_plans_and_fingerprints_once(monkeypatch):
    import sweeplib.contracts.request as request_module
    import sweeplib.services as services_module

    plans, hashes = [], []
    real_plan, real_hash = services_module.compute_shard_plan, request_module.sha256_hex
    monkeypatch.setattr(
        services_module, "compute_shard_plan", lambda *a, **k: plans.append(1) or real_plan(*a, **k)
    )
    monkeypatch.setattr(
        request_module, "sha256_hex", lambda text: hashes.append(1) or real_hash(text)
    )
    services.submit(
        parse_sweep_request(REQUEST),
        store=MemoryObjectStore(),
        dispatcher=Refusing(),
        now=NOW,
        request_source="api",
        limits=Limits(max_message_bytes=256 * 1024),
    )
    assert len(plans) == 1
    assert len(hashes) == 2  # the request fingerprint and the config fingerprint, once each


# -- rerun and status -------------------------------------------------------------------


def test_rerun_dispatches_only_the_failed_and_missing_shards():
    store = MemoryObjectStore()
    request = parse_sweep_request(
        {
            **REQUEST,
            "shard_count": 4,
            "dimensions": {"num_riders": [5, 6, 7, 8], "num_drivers": [3]},
        }
    )
    held = Refusing({2, 3})  # 2 and 3 are never handed over: missing
    services.submit(request, store=store, dispatcher=held, now=NOW, request_source="api")
    run = InlineDispatcher(store, clock=lambda: NOW)
    run.dispatch(services.messages_for(load_submission(store, "client-run"), [0, 1]))
    announced = []
    queue = Refusing()
    rerun = services.rerun(store, "client-run", queue, announce=announced.append)
    assert rerun.shard_ids == (1, 2, 3)  # 1 failed (injected), 2 and 3 missing
    assert queue.calls == [[1, 2, 3]]
    assert announced == ["run client-run (2026-02-14): rerunning 3 shard(s) (1 failed, 2 missing)"]


def test_rerun_of_a_finished_run_dispatches_nothing():
    store = MemoryObjectStore()
    submit_inline(store, {**REQUEST, "failure_injection_shards": []}, request_source="api")
    queue, announced = Refusing(), []
    rerun = services.rerun(store, "client-run", queue, announce=announced.append)
    assert rerun.shard_ids == () and queue.calls == []
    assert announced == ["run client-run: all 3 shard(s) succeeded; nothing to rerun"]


def test_status_of_an_unknown_run_is_object_not_found():
    with pytest.raises(ObjectNotFound):
        services.status(MemoryObjectStore(), "nobody")
    with pytest.raises(InvalidRequest):
        services.status(MemoryObjectStore(), "../x")


# -- watch ---------------------------------------------------------------


class HeldShards:
    """A dispatcher that keeps the messages (a queue nobody consumes yet)."""

    def __init__(self):
        self.messages = []

    def dispatch(self, messages):
        self.messages.extend(messages)
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


@pytest.fixture
def accepted_run():
    store, held = MemoryObjectStore(), HeldShards()
    services.submit(
        parse_sweep_request(REQUEST), store=store, dispatcher=held, now=NOW, request_source="api"
    )
    return store, held


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_watch_polls_until_every_shard_has_an_outcome(accepted_run):
    store, held = accepted_run
    time = FakeTime()
    seen = []

    def sleep(seconds):
        time.sleep(seconds)
        InlineDispatcher(store, clock=lambda: NOW).dispatch([held.messages.pop(0)])

    status = services.watch(
        store, "client-run", poll_s=2.0, on_progress=seen.append, sleep=sleep, clock=time.clock
    )
    assert [(len(s.succeeded), len(s.failed), len(s.missing)) for s in seen] == [
        (0, 0, 3),
        (1, 0, 2),
        (1, 1, 1),
        (2, 1, 0),
    ]
    assert time.sleeps == [2.0, 2.0, 2.0]
    assert status is seen[-1] and status.finished
    (failure,) = status.failed  # the final status carries the error read from the record
    assert failure.shard_id == 1 and failure.error_code and failure.error_message


def test_watch_gives_up_at_the_timeout_with_the_last_status(accepted_run):
    store, _ = accepted_run
    time = FakeTime()
    with pytest.raises(WaitTimedOut) as info:
        services.watch(
            store, "client-run", poll_s=2.0, timeout_s=5.0, sleep=time.sleep, clock=time.clock
        )
    assert time.sleeps == [2.0, 2.0, 1.0]  # never sleeps past the deadline
    assert info.value.status.missing == (0, 1, 2)
    assert "3 of 3 shard(s) still have no outcome after 5 s" in str(info.value)


def test_watch_for_an_unknown_run_is_object_not_found():
    with pytest.raises(ObjectNotFound):
        services.watch(MemoryObjectStore(), "nobody", sleep=pytest.fail)


@pytest.mark.parametrize(("poll_s", "timeout_s"), [(0, None), (-1, None), (1, -1)])
def test_watch_refuses_nonsense_intervals(accepted_run, poll_s, timeout_s):
    with pytest.raises(InvalidRequest):
        services.watch(accepted_run[0], "client-run", poll_s=poll_s, timeout_s=timeout_s)
