"""Cancel (issue 15, item 12): no shard of a cancelled run runs, what committed stays,
status shows it, rerun resumes — locally and through the API."""

from __future__ import annotations

import json

import pytest

from sweeplib import services, worker
from sweeplib.contracts import parse_sweep_request
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.dispatch.inline import InlineDispatcher
from sweeplib.errors import ObjectNotFound
from sweeplib.handler import handle
from sweeplib.storage import MemoryObjectStore, decode_table, keys
from sweeplib.worker import execute_shard, execute_shard_body
from tests.events import api_post, api_request, sqs_event
from tests.factories import NOW, RUN_DATE, request_body

BODY = request_body("cancel-run", shard_count=3)  # 4 points: [0,2) [2,3) [3,4)


class Held:
    def __init__(self):
        self.messages = []

    def dispatch(self, messages):
        self.messages.extend(messages)
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


def accepted():
    store, held = MemoryObjectStore(), Held()
    request = parse_sweep_request(BODY)
    services.submit(request, store=store, dispatcher=held, now=NOW, request_source="api")
    return store, held


def outcome(store, status, shard_id):
    key = keys.RunAddress.of(RUN_DATE, "cancel-run").shard_outcome_key(status, shard_id)
    return decode_table(store.get(key)).to_pylist()[0] if store.exists(key) else None


def test_a_cancelled_run_runs_no_further_shard_and_rerun_resumes_it():
    store, held = accepted()
    assert execute_shard(held.messages[0], store, NOW).status == "success"
    services.cancel(store, "cancel-run", now=NOW)
    services.cancel(store, "cancel-run", now=NOW)  # twice is once
    for message in held.messages[1:]:
        assert execute_shard(message, store, NOW).status == "cancelled"
        assert outcome(store, "failure", message.shard_id)["error_code"] == "cancelled"
        assert outcome(store, "success", message.shard_id) is None
    found = services.status(store, "cancel-run")
    assert found.cancelled and found.as_dict()["cancelled"] is True
    assert found.succeeded == (0,)  # what committed stays
    assert [(f.shard_id, f.error_code) for f in found.failed] == [
        (1, "cancelled"),
        (2, "cancelled"),
    ]

    resumed = services.rerun(store, "cancel-run", InlineDispatcher(store, clock=lambda: NOW))
    assert resumed.shard_ids == (1, 2)
    after = services.status(store, "cancel-run")
    assert not after.cancelled and after.succeeded == (0, 1, 2) and after.succeeded_points == 4


def test_a_running_shard_stops_after_its_current_point(monkeypatch):
    store, held = accepted()
    real = worker.simulate_point
    ran = []

    def then_cancel(point):
        ran.append(point.index)
        services.cancel(store, "cancel-run", now=NOW)  # cancelled while point 0 runs
        return real(point)

    monkeypatch.setattr(worker, "simulate_point", then_cancel)
    result = execute_shard(held.messages[0], store, NOW)  # points 0 and 1
    assert result.status == "cancelled" and ran == [0]
    assert outcome(store, "failure", 0)["error_code"] == "cancelled"


def test_cancelling_an_unknown_run_is_object_not_found():
    with pytest.raises(ObjectNotFound):
        services.cancel(MemoryObjectStore(), "nobody", now=NOW)


# -- through the API ----------------------------------------------------------------------


def cancel_event(run_id, method="POST"):
    return {
        "version": "2.0",
        "routeKey": "POST /sweep-run/{run_id}/cancel",
        "rawPath": f"/sweep-run/{run_id}/cancel",
        "pathParameters": {"run_id": run_id},
        "requestContext": {"http": {"method": method, "path": f"/sweep-run/{run_id}/cancel"}},
        "isBase64Encoded": False,
    }


def test_the_cancel_route_and_a_worker_handed_a_cancelled_shard():
    from tests.unit.test_handler_fuzz import deployment

    store, queue, world = deployment()
    assert handle(api_post(1, api_request()), deployment=lambda: world)["statusCode"] == 202
    answer = handle(cancel_event("api-run"), deployment=lambda: world)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {
        "run_id": "api-run",
        "run_date": RUN_DATE,
        "cancelled": True,
    }
    # the queued shards are consumed, not retried: a cancelled shard is not a failure
    bodies = [m.to_json() for m in queue.sent]
    assert handle(sqs_event(bodies), deployment=lambda: world) == {"batchItemFailures": []}
    assert not list(store.list(keys.dataset_prefix("shard_metrics")))
    status = json.loads(handle(api_get_v2("api-run"), deployment=lambda: world)["body"])
    assert status["cancelled"] is True and status["failed_shards"] == 2


def api_get_v2(run_id):
    from tests.events import api_get

    return api_get(2, run_id)


def test_the_cancel_route_refuses_unknown_runs_and_other_methods():
    from tests.unit.test_handler_fuzz import deployment

    store, _, world = deployment()
    assert handle(cancel_event("nobody"), deployment=lambda: world)["statusCode"] == 404
    assert handle(cancel_event("nobody", "GET"), deployment=lambda: world)["statusCode"] == 405
    assert list(store.list("")) == []


def test_a_forged_message_of_a_cancelled_run_is_still_refused():
    store, held = accepted()
    services.cancel(store, "cancel-run", now=NOW)
    document = held.messages[0].to_json_dict()
    document["seed"] = 12
    with pytest.raises(Exception, match="seed"):
        execute_shard_body(json.dumps(document), store, NOW)
    assert outcome(store, "failure", 0) is None


# -- rerun through the API (issue 15, item 5) -------------------------------------------


def rerun_event(run_id, body=None):
    event = {
        "version": "2.0",
        "routeKey": "POST /sweep-run/{run_id}/rerun",
        "rawPath": f"/sweep-run/{run_id}/rerun",
        "pathParameters": {"run_id": run_id},
        "requestContext": {"http": {"method": "POST", "path": f"/sweep-run/{run_id}/rerun"}},
        "headers": {"content-type": "application/json"},
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def test_the_rerun_route_re_enqueues_failed_and_missing_shards_once():
    from tests.unit.test_handler_fuzz import deployment

    _, queue, world = deployment()
    post = api_post(1, api_request(failure_injection_shards=[0]))
    assert handle(post, deployment=lambda: world)["statusCode"] == 202
    first = [m.to_json() for m in queue.sent]
    handle(sqs_event(first[:1]), deployment=lambda: world)  # shard 0 fails; shard 1 is lost
    queue.sent.clear()

    answer = handle(rerun_event("api-run"), deployment=lambda: world)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 202 and body["shards"] == [0, 1] and not body["replayed"]
    assert sorted(m.shard_id for m in queue.sent) == [0, 1]
    assert all(m.run_date == RUN_DATE for m in queue.sent)  # same run date
    # the same rerun again (a client retry; nothing has changed): sent nothing
    again = handle(rerun_event("api-run"), deployment=lambda: world)
    assert again["statusCode"] == 202 and json.loads(again["body"])["replayed"] is True
    assert again["headers"]["X-Sweep-Replay"] == "true" and len(queue.sent) == 2
    # an explicit key is honoured the same way
    keyed = rerun_event("api-run", {"rerun_id": "ops-1"})
    assert json.loads(handle(keyed, deployment=lambda: world)["body"])["replayed"] is False
    assert json.loads(handle(keyed, deployment=lambda: world)["body"])["replayed"] is True
    assert len(queue.sent) == 4


def test_a_new_failure_makes_a_new_default_rerun():
    import datetime as dt
    import itertools

    from tests.unit.test_handler_fuzz import deployment

    _, queue, world = deployment()
    ticks = itertools.count()
    world.clock = lambda: NOW + dt.timedelta(seconds=next(ticks))  # attempts at distinct times
    handle(api_post(1, api_request(failure_injection_shards=[0, 1])), deployment=lambda: world)
    handle(sqs_event([m.to_json() for m in queue.sent]), deployment=lambda: world)
    queue.sent.clear()
    handle(rerun_event("api-run"), deployment=lambda: world)
    # the rerun's messages run and fail again (injected): their records are new
    handle(sqs_event([m.to_json() for m in queue.sent]), deployment=lambda: world)
    answer = handle(rerun_event("api-run"), deployment=lambda: world)
    assert json.loads(answer["body"])["replayed"] is False and len(queue.sent) == 4


@pytest.mark.parametrize("body", [{"rerun_id": "../x"}, {"rerun_id": 7}, {"other": 1}, [1]])
def test_the_rerun_route_refuses_bad_bodies_and_unknown_runs(body):
    from tests.unit.test_handler_fuzz import deployment

    store, queue, world = deployment()
    handle(api_post(1, api_request()), deployment=lambda: world)
    before = {k: store.get(k) for k in store.list("")}
    sent = len(queue.sent)
    assert handle(rerun_event("api-run", body), deployment=lambda: world)["statusCode"] == 400
    assert handle(rerun_event("nobody"), deployment=lambda: world)["statusCode"] == 404
    assert {k: store.get(k) for k in store.list("")} == before and len(queue.sent) == sent
