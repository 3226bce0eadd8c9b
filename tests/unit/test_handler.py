"""The Lambda handler with in-memory twins: API routes, validation, idempotency, SQS batches."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from sweeplib.config import DeploymentConfig
from sweeplib.contracts import Limits, ShardMessage
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.handler import Deployment, event_shape, handle
from sweeplib.storage import MemoryObjectStore, decode_table, keys
from tests.events import MALFORMED, api_get, api_post, load_event, sqs_event
from tests.events import api_request as request

NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)
RUN_DATE = "2026-02-14"


class FakeQueue:
    """The SQS dispatcher's twin: records messages; can refuse some shards."""

    def __init__(self, refuse: set[int] | None = None):
        self.messages: list[ShardMessage] = []
        self.refuse = refuse or set()
        self.calls = 0

    def dispatch(self, messages):
        self.calls += 1
        records = []
        for message in messages:
            if message.shard_id in self.refuse:
                records.append(DispatchRecord(message.shard_id, 503, "ServiceUnavailable"))
            else:
                self.messages.append(message)
                records.append(DispatchRecord(message.shard_id, 200))
        return DispatchReport(tuple(records))


def config(**changes) -> DeploymentConfig:
    values = {
        "bucket": "results",
        "queue_url": "http://127.0.0.1/queue/shards",
        "prefix": keys.DEFAULT_PREFIX,
        "limits": Limits(),
        "max_request_bytes": 262_144,
        "dispatch_enabled": True,
    }
    values.update(changes)
    return DeploymentConfig(**values)


@pytest.fixture
def world():
    store, queue = MemoryObjectStore(), FakeQueue()
    services = Deployment(config(), store, queue, lambda: NOW)
    return store, queue, (lambda: services)


def decoded(response):
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("version", [1, 2])
def test_post_accepts_plans_records_and_enqueues(world, version):
    store, queue, services = world
    status, body = decoded(handle(api_post(version, request()), deployment=services))
    assert status == 202
    assert body == {
        "run_id": "api-run",
        "total_points": 2,
        "shards_dispatched": 2,
        "status": "dispatch_submitted",
        "schema_version": "v1",
        "dispatches": [{"shard_id": 0, "status_code": 200}, {"shard_id": 1, "status_code": 200}],
    }
    assert [m.shard_id for m in queue.messages] == [0, 1]
    assert all(m.run_date == RUN_DATE for m in queue.messages)
    assert store.exists(keys.RunAddress.of(RUN_DATE, "api-run").run_context_key())
    row = decode_table(
        store.get(keys.RunAddress.of(RUN_DATE, "api-run").run_context_key())
    ).to_pylist()[0]
    assert row["request_source"] == "api" and row["shard_count"] == 2


def test_base64_bodies_are_decoded(world):
    _, queue, services = world
    status, _ = decoded(handle(api_post(2, request(), base64_encoded=True), deployment=services))
    assert status == 202 and len(queue.messages) == 2


def test_resubmitting_the_same_request_replays_without_enqueueing(world):
    store, queue, services = world
    first = handle(api_post(1, request()), deployment=services)
    before = {k: store.get(k) for k in store.list("")}
    second = handle(api_post(2, request()), deployment=services)
    assert second["statusCode"] == 202 and second["headers"]["X-Sweep-Replay"] == "true"
    assert json.loads(second["body"]) == json.loads(first["body"])
    assert len(queue.messages) == 2
    assert {k: store.get(k) for k in store.list("")} == before


def test_same_run_id_with_another_request_is_409_and_changes_nothing(world):
    store, queue, services = world
    handle(api_post(1, request()), deployment=services)
    before = {k: store.get(k) for k in store.list("")}
    status, body = decoded(handle(api_post(1, request(seed=6)), deployment=services))
    assert status == 409 and body["error"] == "run_conflict"
    assert "different request" in body["message"]
    assert len(queue.messages) == 2
    assert {k: store.get(k) for k in store.list("")} == before


def test_a_retry_on_another_day_keeps_the_original_run_date():
    store, queue = MemoryObjectStore(), FakeQueue(refuse={1})
    days = iter([NOW, NOW + dt.timedelta(days=1)])
    services = Deployment(config(), store, queue, lambda: next(days))
    status, body = decoded(handle(api_post(1, request()), deployment=lambda: services))
    assert status == 503 and body["error"] == "dispatch_incomplete"
    assert body["dispatched"] == [0] and body["not_dispatched"] == [1]
    queue.refuse.clear()
    status, body = decoded(handle(api_post(1, request()), deployment=lambda: services))
    assert status == 202 and body["shards_dispatched"] == 2
    assert [m.shard_id for m in queue.messages] == [0, 1]  # shard 0 not enqueued twice
    assert {m.run_date for m in queue.messages} == {RUN_DATE}


def good():
    return request()


@pytest.mark.parametrize(("body", "field"), MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
@pytest.mark.parametrize("version", [1, 2])
def test_bad_requests_get_400_and_leave_store_and_queue_empty(world, body, field, version):
    store, queue, services = world
    status, answer = decoded(handle(api_post(version, body), deployment=services))
    assert status == 400, answer
    assert answer["error"] == "validation_error"
    assert answer["code"] in ("invalid_request", "plan_too_large")
    assert answer["field"] == field or answer["field"].startswith(field + "[")
    assert answer["message"] == f"{answer['field']}: {answer['reason']}"
    assert queue.calls == 0 and queue.messages == []
    assert list(store.list("")) == []


def test_oversized_body_is_400(world):
    store, queue, services = world
    big = request(dimensions={"num_riders": list(range(10_000)), "eta_weight": [0.123456789] * 3})
    status, answer = decoded(
        handle(api_post(1, json.dumps(big) + " " * 300_000), deployment=services)
    )
    assert status == 400 and "bytes; the limit" in answer["message"]
    assert list(store.list("")) == [] and queue.calls == 0


def test_messages_too_large_for_sqs_are_refused_before_anything_is_written():
    """Under the default caps a message stays below 256 KiB; raised caps can break that."""
    store, queue = MemoryObjectStore(), FakeQueue()
    limits = Limits(max_values_per_dimension=20_000)
    services = Deployment(
        config(max_request_bytes=2_000_000, limits=limits), store, queue, lambda: NOW
    )
    body = request(dimensions={"eta_weight": [i / 7 for i in range(20_000)]}, shard_count=1)
    status, answer = decoded(handle(api_post(1, body), deployment=lambda: services))
    assert status == 400 and "SQS takes at most" in answer["message"]
    assert list(store.list("")) == [] and queue.calls == 0


def test_deployment_point_cap_applies(world):
    store, queue = MemoryObjectStore(), FakeQueue()
    services = Deployment(config(limits=Limits(max_points=3)), store, queue, lambda: NOW)
    body = request(dimensions={"num_riders": [1, 2, 3, 4]})
    status, answer = decoded(handle(api_post(2, body), deployment=lambda: services))
    assert status == 400 and "3" in answer["message"]


def test_dispatch_disabled_is_503_and_writes_nothing():
    store, queue = MemoryObjectStore(), FakeQueue()
    services = Deployment(config(dispatch_enabled=False), store, queue, lambda: NOW)
    status, answer = decoded(handle(api_post(1, request()), deployment=lambda: services))
    assert status == 503 and answer["error"] == "dispatch_disabled"
    assert list(store.list("")) == []


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SWEEP_RESULTS_BUCKET"),
        ({"SWEEP_RESULTS_BUCKET": "b", "MAX_SHARDS": "lots"}, "MAX_SHARDS"),
        ({"SWEEP_RESULTS_BUCKET": "b", "MAX_SHARDS": "0"}, "MAX_SHARDS"),
        ({"SWEEP_RESULTS_BUCKET": "b", "DISPATCH_ENABLED": "maybe"}, "DISPATCH_ENABLED"),
        ({"SWEEP_RESULTS_BUCKET": "b", "SWEEP_RESULTS_PREFIX": "a/../b"}, "SWEEP_RESULTS_PREFIX"),
    ],
)
def test_misconfiguration_is_a_500_naming_the_variable(env, variable):
    from sweeplib.handler import deployment_from_env

    status, answer = decoded(
        handle(api_post(1, request()), deployment=lambda: deployment_from_env(env))
    )
    assert status == 500 and answer["error"] == "configuration_error"
    assert variable in answer["message"]


def test_missing_queue_url_is_a_500_for_submissions_only():
    store = MemoryObjectStore()
    services = Deployment(config(queue_url=None), store, None, lambda: NOW)
    status, answer = decoded(handle(api_post(1, request()), deployment=lambda: services))
    assert status == 500 and "SHARD_QUEUE_URL" in answer["message"]
    assert list(store.list("")) == []


@pytest.mark.parametrize("version", [1, 2])
def test_get_reports_status_counts(world, version):
    _store, queue, services = world
    handle(api_post(1, request(failure_injection_shards=[1])), deployment=services)
    bodies = [m.to_json() for m in queue.messages]
    handle(sqs_event(bodies), deployment=services)
    status, body = decoded(handle(api_get(version, "api-run"), deployment=services))
    assert status == 200
    assert body["planned_shards"] == 2 and body["succeeded_shards"] == 1
    assert body["failed_shards"] == 1 and body["missing_shards"] == 0
    assert body["failed"][0]["error_code"] == "injected_failure"


def test_get_unknown_run_is_404_and_bad_run_id_400(world):
    _, _, services = world
    assert handle(api_get(2, "nobody"), deployment=services)["statusCode"] == 404
    assert handle(api_get(1, "..%2Fx"), deployment=services)["statusCode"] == 400


def test_unknown_routes_and_methods(world):
    _, _, services = world
    event = api_post(1, request())
    event["path"] = "/other"
    assert handle(event, deployment=services)["statusCode"] == 404
    event = api_get(2, "r")
    event["requestContext"]["http"]["method"] = "DELETE"
    assert handle(event, deployment=services)["statusCode"] == 405
    event = api_post(1, request())
    event["httpMethod"] = "GET"
    assert handle(event, deployment=services)["statusCode"] == 405


@pytest.mark.parametrize(
    "event",
    [None, [], {}, {"Records": []}, {"Records": [{"eventSource": "aws:s3"}]}, {"detail-type": "x"}],
)
def test_unsupported_events_get_a_clear_answer(event, world):
    _, _, services = world
    answer = handle(event, deployment=services)
    assert answer["error"] == "unsupported_event"
    assert event_shape(event) == "unknown"


def test_event_shapes():
    assert event_shape(load_event("apigw_v1_post")) == "api_v1"
    assert event_shape(load_event("apigw_v2_get")) == "api_v2"
    assert event_shape(sqs_event(["{}"])) == "sqs"


# -- SQS partial batches ------------------------------------------------------------------


def accepted(world, **changes):
    _, queue, services = world
    assert handle(api_post(1, request(**changes)), deployment=services)["statusCode"] == 202
    return [m.to_json() for m in queue.messages]


def test_batch_all_succeed(world):
    store, _, services = world
    bodies = accepted(world)
    assert handle(sqs_event(bodies), deployment=services) == {"batchItemFailures": []}
    assert len(list(store.list(keys.dataset_prefix("shard_outcomes")))) == 2


def test_batch_some_fail(world):
    _, _, services = world
    bodies = accepted(world, failure_injection_shards=[0])
    answer = handle(sqs_event(bodies, ids=["a", "b"]), deployment=services)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "a"}]}


def test_batch_all_fail(world):
    _, _, services = world
    bodies = accepted(world, failure_injection_shards=[0, 1])
    answer = handle(sqs_event(bodies, ids=["a", "b"]), deployment=services)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}


def test_a_malformed_body_fails_alone(world):
    store, _, services = world
    bodies = accepted(world)
    event = sqs_event([bodies[0], "not json at all", bodies[1]], ids=["a", "poison", "c"])
    answer = handle(event, deployment=services)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert len(list(store.list(keys.dataset_prefix("shard_outcomes")))) == 2


def test_a_message_with_missing_fields_fails_alone(world):
    _, _, services = world
    bodies = accepted(world)
    broken = json.loads(bodies[1])
    del broken["dimensions"]
    event = sqs_event([bodies[0], json.dumps(broken)], ids=["ok", "broken"])
    assert handle(event, deployment=services) == {
        "batchItemFailures": [{"itemIdentifier": "broken"}]
    }


def test_a_forged_message_fails_alone_and_writes_nothing(world):
    store, _, services = world
    bodies = accepted(world)
    forged = json.loads(bodies[0])
    forged["run_id"] = "never-submitted"
    event = sqs_event([json.dumps(forged), bodies[1]], ids=["forged", "ok"])
    assert handle(event, deployment=services) == {
        "batchItemFailures": [{"itemIdentifier": "forged"}]
    }
    assert not [k for k in store.list("") if "never-submitted" in k]


class LambdaContext:
    def __init__(self, remaining_ms):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def test_a_shard_near_the_lambda_timeout_records_a_timeout_failure(world, monkeypatch):
    import time

    from sweeplib import handler, worker

    store, _, services = world
    bodies = accepted(world)

    def endless(_point):
        time.sleep(30)
        raise AssertionError("the deadline did not stop the point")

    monkeypatch.setattr(worker, "simulate_point", endless)
    context = LambdaContext(remaining_ms=handler.TIMEOUT_MARGIN_S * 1000 + 300)
    answer = handle(sqs_event(bodies[:1], ids=["slow"]), context, deployment=services)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "slow"}]}
    key = keys.RunAddress.of(RUN_DATE, "api-run").shard_outcome_key("failure", 0)
    assert decode_table(store.get(key)).to_pylist()[0]["error_code"] == "timeout"


def test_a_record_without_a_body_fails_alone(world):
    _, _, services = world
    bodies = accepted(world)
    event = sqs_event(bodies, ids=["ok", "nobody"])
    del event["Records"][1]["body"]
    assert handle(event, deployment=services) == {
        "batchItemFailures": [{"itemIdentifier": "nobody"}]
    }


def test_duplicate_deliveries_commit_once_with_unchanged_bytes(world):
    store, _, services = world
    bodies = accepted(world)
    handle(sqs_event([bodies[0]]), deployment=services)
    first = {k: store.get(k) for k in store.list("")}
    threads = [
        threading.Thread(
            target=handle, args=(sqs_event([bodies[0]]),), kwargs={"deployment": services}
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handle(sqs_event([bodies[0], bodies[0], bodies[0]], ids=["x", "y", "z"]), deployment=services)
    assert {k: store.get(k) for k in store.list("")} == first


def test_sqs_with_broken_configuration_fails_every_record():
    from sweeplib.handler import deployment_from_env

    answer = handle(
        sqs_event(["{}", "{}"], ids=["a", "b"]), deployment=lambda: deployment_from_env({})
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}


def test_a_corrupt_submission_record_is_a_502_not_a_crash(world):
    store, queue, services = world
    store.put(keys.submission_key("api-run"), b"{not json")
    status, answer = decoded(handle(api_post(1, request()), deployment=services))
    assert status == 502 and answer["error"] == "storage_error"
    assert "submission" not in answer["message"] and queue.calls == 0  # the key stays in the logs
