"""End to end over HTTP against moto on 127.0.0.1: API → SQS → worker → S3.

A small harness plays the Lambda event source mapping: receive up to 10 messages, invoke
the handler with a real-shaped SQS event, delete the successes, and make the failures
visible again at once (standing in for the visibility timeout running out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sweeplib.config import DeploymentConfig
from sweeplib.contracts import Limits
from sweeplib.dispatch.sqs import SqsDispatcher
from sweeplib.handler import Deployment, handle
from sweeplib.storage import LocalObjectStore, decode_table, keys
from sweeplib.storage.s3 import S3ObjectStore
from tests.events import MALFORMED, api_get, api_post
from tests.factories import NOW, submit_inline

from .conftest import MAX_RECEIVE_COUNT, REGION

REQUEST = {
    "run_id": "e2e-run",
    "dimensions": {
        "commission_rate": [0.1, 0.2],
        "match_radius": [3],
        "num_drivers": [12, 18],
        "num_riders": [40],
    },
    "shard_count": 3,
    "seed": 42,
    "failure_injection_shards": [1],
}

#: DESIGN §3.6: an explicit design (repeats allowed), replicated, on common random numbers.
POINTS_REQUEST = {
    "run_id": "e2e-run",
    "points": [
        {"commission_rate": 0.1, "match_radius": 3, "num_drivers": 12, "num_riders": 40},
        {"commission_rate": 0.25, "match_radius": 2, "num_drivers": 18, "num_riders": 40},
        {"commission_rate": 0.1, "match_radius": 3, "num_drivers": 12, "num_riders": 40},
    ],
    "replications": 2,
    "seeding": "common",
    "design": {"kind": "hand-picked", "note": "the first point twice"},
    "shard_count": 3,
    "seed": 42,
    "failure_injection_shards": [1],
}


@pytest.fixture
def deployment(bucket, queues, s3_client, sqs_client):
    config = DeploymentConfig(
        bucket=bucket,
        queue_url=queues.url,
        prefix=keys.DEFAULT_PREFIX,
        limits=Limits(),
        max_request_bytes=262_144,
        dispatch_enabled=True,
    )
    built = Deployment(
        config,
        S3ObjectStore(bucket, client=s3_client),
        SqsDispatcher(queues.url, client=sqs_client),
        lambda: NOW,
    )
    return lambda: built


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The event-source-mapping shape of one received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def play_event_source_mapping(sqs_client, queues, deployment, *, rounds: int = 20) -> list[dict]:
    """Deliver until the queue is empty; returns the handler's responses."""
    responses = []
    for _ in range(rounds):
        received = sqs_client.receive_message(
            QueueUrl=queues.url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            break
        event = {"Records": [sqs_record(m, queues.arn) for m in received]}
        response = handle(event, deployment=deployment)
        responses.append(response)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in received:
            if message["MessageId"] in failed:
                sqs_client.change_message_visibility(
                    QueueUrl=queues.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs_client.delete_message(
                    QueueUrl=queues.url, ReceiptHandle=message["ReceiptHandle"]
                )
    return responses


def s3_objects(s3_client, bucket) -> dict[str, bytes]:
    store = S3ObjectStore(bucket, client=s3_client)
    return {key: store.get(key) for key in store.list("")}


def dlq_bodies(sqs_client, queues) -> list[str]:
    received = sqs_client.receive_message(QueueUrl=queues.dlq_url, MaxNumberOfMessages=10)
    return [m["Body"] for m in received.get("Messages", [])]


@pytest.mark.parametrize(
    ("version", "request_body"),
    [(1, REQUEST), (2, REQUEST), (2, POINTS_REQUEST)],
    ids=["v1-grid", "v2-grid", "v2-points-replicated-common"],
)
def test_a_run_over_http_matches_a_local_run_byte_for_byte(
    version, request_body, deployment, s3_client, sqs_client, bucket, queues, tmp_path: Path
):
    accepted = handle(api_post(version, request_body), deployment=deployment)
    assert accepted["statusCode"] == 202, accepted["body"]
    assert json.loads(accepted["body"])["shards_dispatched"] == 3
    play_event_source_mapping(sqs_client, queues, deployment)
    # the injected failure keeps failing: after maxReceiveCount it is in the DLQ
    for _ in range(MAX_RECEIVE_COUNT + 1):
        play_event_source_mapping(sqs_client, queues, deployment, rounds=1)
    dead = dlq_bodies(sqs_client, queues)
    assert [json.loads(body)["shard_id"] for body in dead] == [1]

    status = json.loads(handle(api_get(version, "e2e-run"), deployment=deployment)["body"])
    assert status["succeeded_shards"] == 2 and status["failed_shards"] == 1
    assert status["missing_shards"] == 0

    local = LocalObjectStore(tmp_path)
    submit_inline(local, request_body, request_source="api")
    remote = s3_objects(s3_client, bucket)
    here = {key: local.get(key) for key in local.list("")}
    assert remote.keys() == here.keys()
    for key in here:
        if "dataset=shard_outcomes" in key:
            # identical rows; only the attempt's wall-clock event_time may differ
            a, b = decode_table(remote[key]).to_pylist()[0], decode_table(here[key]).to_pylist()[0]
            a.pop("event_time"), b.pop("event_time")
            assert a == b, key
        else:
            assert remote[key] == here[key], key
    if "points" in request_body:  # design point, replicate and seed reach the outcomes
        rows = [
            decode_table(remote[key]).to_pylist()[0]
            for key in sorted(remote)
            if "dataset=shard_metrics" in key
        ]
        assert sorted((r["design_point"], r["replicate"], r["point_seed"]) for r in rows) == [
            (0, 0, 42), (0, 1, 43), (2, 0, 42), (2, 1, 43),
        ]  # fmt: skip
        # Common random numbers: the repeated design point replays its twin's draws.
        by_point = {(r["design_point"], r["replicate"]): r for r in rows}
        assert by_point[(0, 0)] == {**by_point[(2, 0)], "design_point": 0}


def test_a_poison_message_reaches_the_dlq_while_batch_mates_succeed(
    deployment, s3_client, sqs_client, queues
):
    assert (
        handle(api_post(2, {**REQUEST, "failure_injection_shards": []}), deployment=deployment)[
            "statusCode"
        ]
        == 202
    )
    sqs_client.send_message(QueueUrl=queues.url, MessageBody="this is not a shard message")
    responses = play_event_source_mapping(sqs_client, queues, deployment)
    for _ in range(MAX_RECEIVE_COUNT + 1):
        play_event_source_mapping(sqs_client, queues, deployment, rounds=1)
    assert dlq_bodies(sqs_client, queues) == ["this is not a shard message"]
    first = responses[0]
    assert len(first["batchItemFailures"]) == 1  # only the poison message failed
    status = json.loads(handle(api_get(1, "e2e-run"), deployment=deployment)["body"])
    assert status["succeeded_shards"] == 3


def test_duplicate_delivery_commits_once_with_unchanged_bytes(
    deployment, s3_client, sqs_client, bucket, queues
):
    handle(api_post(1, {**REQUEST, "failure_injection_shards": []}), deployment=deployment)
    received = sqs_client.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=10)["Messages"]
    record = sqs_record(received[0], queues.arn)
    assert handle({"Records": [record]}, deployment=deployment) == {"batchItemFailures": []}
    first = s3_objects(s3_client, bucket)
    duplicates = [{**record, "messageId": f"dup-{i}"} for i in range(3)]
    assert handle({"Records": duplicates}, deployment=deployment) == {"batchItemFailures": []}
    assert s3_objects(s3_client, bucket) == first


def test_resubmission_and_conflict_over_s3_conditional_writes(
    deployment, sqs_client, queues, s3_client, bucket
):
    assert handle(api_post(1, REQUEST), deployment=deployment)["statusCode"] == 202
    replay = handle(api_post(2, REQUEST), deployment=deployment)
    assert replay["statusCode"] == 202 and replay["headers"].get("X-Sweep-Replay") == "true"
    conflict = handle(api_post(1, {**REQUEST, "seed": 43}), deployment=deployment)
    assert conflict["statusCode"] == 409
    depth = sqs_client.get_queue_attributes(
        QueueUrl=queues.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert int(depth) == 3  # enqueued once
    submission = s3_objects(s3_client, bucket)[keys.submission_key("e2e-run")]
    assert json.loads(submission)["request_fingerprint"]


@pytest.mark.parametrize(
    "body", [case for case, _ in MALFORMED], ids=[str(i) for i in range(len(MALFORMED))]
)
def test_bad_requests_leave_bucket_and_queue_empty(
    body, deployment, s3_client, sqs_client, bucket, queues
):
    answer = handle(api_post(2, body), deployment=deployment)
    assert answer["statusCode"] == 400
    assert s3_objects(s3_client, bucket) == {}
    assert sqs_client.receive_message(QueueUrl=queues.url).get("Messages", []) == []


@pytest.mark.slow
def test_the_largest_plan_is_accepted_and_fully_enqueued(deployment, sqs_client, queues):
    """200,000 points in 1,000 shards (latency is measured by `make bench`, not asserted)."""
    big = {
        "run_id": "big-run",
        "dimensions": {
            "commission_rate": [round(0.01 * i, 2) for i in range(50)],
            "num_drivers": list(range(100, 140)),
            "num_riders": list(range(500, 600)),
        },
        "shard_count": 1000,
        "seed": 1,
    }
    answer = handle(api_post(2, big), deployment=deployment)
    assert answer["statusCode"] == 202
    body = json.loads(answer["body"])
    assert body["total_points"] == 200_000 and body["shards_dispatched"] == 1000
    depth = sqs_client.get_queue_attributes(
        QueueUrl=queues.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert int(depth) == 1000
