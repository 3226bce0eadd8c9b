"""The handler answers every event with a designed document (issue 15, item 7).

Hypothesis throws API Gateway requests (v1 and v2) and SQS batches at it, from real ones
to hostile ones: it never raises, every API answer is a JSON document with a status the
API defines, and a 4xx answer writes nothing and enqueues nothing. Plus the three events
the adversarial pass found, as plain examples, and the routing and media-type rules.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings

from sweeplib.config import DeploymentConfig
from sweeplib.contracts import Limits
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.handler import Deployment, handle
from sweeplib.storage import MemoryObjectStore, keys
from tests.events import api_get, api_post, api_request, load_event, sqs_event
from tests.events.fuzz import api_events, events, sqs_events

NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)
API_STATUSES = {200, 202, 400, 404, 405, 409, 415, 503}


class Queue:
    def __init__(self):
        self.sent = []

    def dispatch(self, messages):
        self.sent.extend(messages)
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


def deployment():
    config = DeploymentConfig(
        bucket="results",
        queue_url="http://127.0.0.1/queue/shards",
        prefix=keys.DEFAULT_PREFIX,
        limits=Limits(),
        max_request_bytes=262_144,
        dispatch_enabled=True,
    )
    store, queue = MemoryObjectStore(), Queue()
    return store, queue, Deployment(config, store, queue, lambda: NOW)


def snapshot(store):
    return {key: store.get(key) for key in store.list("")}


def check_api_answer(answer, store, queue, before, sent_before):
    if "statusCode" not in answer:  # no longer an API Gateway event (e.g. requestContext null)
        assert answer["error"] == "unsupported_event"
        assert snapshot(store) == before and len(queue.sent) == sent_before
        return
    assert set(answer) == {"statusCode", "headers", "body", "isBase64Encoded"}
    status = answer["statusCode"]
    assert status in API_STATUSES, answer
    document = json.loads(answer["body"])
    assert isinstance(document, dict)
    if status >= 400:
        assert isinstance(document["error"], str) and isinstance(document["code"], str)
        assert isinstance(document["message"], str)
    if 400 <= status < 500:
        assert snapshot(store) == before and len(queue.sent) == sent_before


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=api_events())
def test_every_api_event_gets_a_designed_answer_and_a_4xx_writes_nothing(event):
    store, queue, world = deployment()
    handle(api_post(1, api_request(run_id="present")), deployment=lambda: world)
    before, sent = snapshot(store), len(queue.sent)
    answer = handle(event, deployment=lambda: world)
    check_api_answer(answer, store, queue, before, sent)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=sqs_events())
def test_every_sqs_batch_gets_a_partial_batch_answer(event):
    store, _, world = deployment()
    answer = handle(event, deployment=lambda: world)
    if not any(isinstance(r, dict) for r in event["Records"]):
        assert answer["error"] == "unsupported_event"  # no record at all: not an SQS batch
        return
    assert set(answer) == {"batchItemFailures"}
    records = [r for r in event["Records"] if isinstance(r, dict)]
    ids = {r["messageId"] for r in records if isinstance(r.get("messageId"), str)}
    for failure in answer["batchItemFailures"]:
        assert failure["itemIdentifier"] in ids
    # nothing was submitted, so nothing ran: no message may write under any run
    assert snapshot(store) == {}


@settings(max_examples=200, deadline=None)
@given(event=events)
def test_any_event_at_all_is_answered(event):
    _, _, world = deployment()
    assert isinstance(handle(event, deployment=lambda: world), dict)


# -- the events the adversarial pass found ------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_a_body_with_a_lone_surrogate_is_a_400(version):
    store, queue, world = deployment()
    event = api_post(version, '{"run_id": "a\ud800b"}')
    status = handle(event, deployment=lambda: world)["statusCode"]
    assert status == 400 and snapshot(store) == {} and queue.sent == []


@pytest.mark.parametrize("http", ["GET", 7, None, ["POST"]])
def test_a_non_object_request_context_http_is_an_unsupported_event(http):
    _, _, world = deployment()
    event = api_post(2, api_request())
    event["requestContext"]["http"] = http
    answer = handle(event, deployment=lambda: world)
    assert answer["error"] == "unsupported_event"


def test_an_sqs_record_without_a_message_id_is_not_run_and_the_rest_are_answered():
    _, queue, world = deployment()
    handle(api_post(1, api_request(failure_injection_shards=[1])), deployment=lambda: world)
    bodies = [m.to_json() for m in queue.sent]
    event = sqs_event(bodies, ids=["a", "b"])
    idless = load_event("sqs_record")
    del idless["messageId"]
    idless["body"] = bodies[0]
    event["Records"].append(idless)
    assert handle(event, deployment=lambda: world) == {
        "batchItemFailures": [{"itemIdentifier": "b"}]
    }


# -- routes, media types, flags (item 9) ---------------------------------------------------


@pytest.mark.parametrize("path", ["/anything/sweep-run", "/sweep-run/r1/x", "/sweep-runs", "/"])
def test_only_the_exact_routes_match(path):
    store, queue, world = deployment()
    event = api_post(1, api_request())
    event["path"] = path
    assert handle(event, deployment=lambda: world)["statusCode"] == 404
    assert snapshot(store) == {} and queue.sent == []


def test_a_named_http_api_stage_prefixes_the_raw_path():
    _, queue, world = deployment()
    event = api_post(2, api_request())
    event["requestContext"]["stage"] = "prod"
    event["rawPath"] = "/prod/sweep-run"
    assert handle(event, deployment=lambda: world)["statusCode"] == 202 and queue.sent


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_non_json_content_type_is_a_415(content_type):
    store, queue, world = deployment()
    event = api_post(1, api_request())
    event["headers"] = {"Content-Type": content_type}
    answer = handle(event, deployment=lambda: world)
    assert answer["statusCode"] == 415
    assert json.loads(answer["body"])["code"] == "unsupported_media_type"
    assert snapshot(store) == {} and queue.sent == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_types_are_accepted(content_type):
    _, _, world = deployment()
    event = api_post(2, api_request())
    event["headers"] = {"content-type": content_type}
    assert handle(event, deployment=lambda: world)["statusCode"] == 202


@pytest.mark.parametrize("flag", ["false", "true", 0, 1, []])
def test_is_base64_encoded_must_be_a_real_boolean(flag):
    store, _, world = deployment()
    event = api_post(1, api_request())
    event["isBase64Encoded"] = flag
    answer = handle(event, deployment=lambda: world)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["field"] == "isBase64Encoded"
    assert snapshot(store) == {}


def test_an_unknown_run_is_a_404_naming_the_run_not_its_key():
    _, _, world = deployment()
    answer = handle(api_get(2, "nobody"), deployment=lambda: world)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 404 and body["run_id"] == "nobody"
    assert "_runs" not in answer["body"] and "key" not in body


class Broken(MemoryObjectStore):
    def put(self, key, body, *, if_absent=False):
        raise RuntimeError("an unexpected bug with secret detail arn:aws:iam::1:role/x")


def test_an_unexpected_exception_is_a_500_without_its_text():
    store = Broken()
    _, queue, world = deployment()
    world = Deployment(world.config, store, queue, world.clock)
    answer = handle(api_post(1, api_request()), deployment=lambda: world)
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"])["code"] == "internal_error"
    assert "arn:aws" not in answer["body"]


# -- a deployment's cap on agent counts (issue 15, item 4) ---------------------------------


def test_a_deployment_caps_agent_counts_below_the_kernels_range():
    import dataclasses

    store, queue, world = deployment()
    world.config = dataclasses.replace(world.config, max_agents_per_point=1_000)
    event = api_post(2, api_request(dimensions={"num_riders": [500, 2_000], "num_drivers": [10]}))
    answer = handle(event, deployment=lambda: world)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 400 and body["code"] == "plan_too_large"
    assert body["field"] == "dimensions.num_riders[1]" and "MAX_AGENTS_PER_POINT" in body["reason"]
    assert snapshot(store) == {} and queue.sent == []
    fits = api_post(2, api_request(dimensions={"num_riders": [500, 1_000], "num_drivers": [10]}))
    assert handle(fits, deployment=lambda: world)["statusCode"] == 202
    # A points design is capped point by point, named by point.
    points = [{"num_riders": 10, "num_drivers": 5}, {"num_riders": 10, "num_drivers": 5_000}]
    body = {k: v for k, v in api_request(run_id="capped-points").items() if k != "dimensions"}
    answer = handle(api_post(2, {**body, "points": points}), deployment=lambda: world)
    refused = json.loads(answer["body"])
    assert answer["statusCode"] == 400 and refused["field"] == "points[1].num_drivers"


def test_the_agent_cap_is_read_from_the_environment_within_the_kernels_range():
    from sweeplib.errors import ConfigurationError
    from sweeplib.sim.params import MAX_AGENTS

    env = {"SWEEP_RESULTS_BUCKET": "b"}
    assert DeploymentConfig.from_env(env).max_agents_per_point == MAX_AGENTS
    assert (
        DeploymentConfig.from_env({**env, "MAX_AGENTS_PER_POINT": "5000"}).max_agents_per_point
        == 5000
    )
    with pytest.raises(ConfigurationError):
        DeploymentConfig.from_env({**env, "MAX_AGENTS_PER_POINT": str(MAX_AGENTS + 1)})
