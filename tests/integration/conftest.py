"""AWS emulated by a moto server on 127.0.0.1, started once per test session.

No test here can reach real AWS:

* the package-scoped ``aws_environment`` (autouse) sets fake credentials, region
  ``us-east-1`` and ``AWS_ENDPOINT_URL`` = the moto server, and removes every variable
  or file that could point boto3 elsewhere (profiles, service-specific endpoints);
* ``_loopback_only`` (autouse) makes botocore's HTTP layer refuse any request whose host
  is not loopback, so even a client built with an explicit endpoint fails fast.

Per test, ``bucket`` creates a fresh S3 bucket and ``queues`` a shard queue plus a DLQ
(redrive after 3 receives); names are unique, so tests never see each other's objects.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.httpsession
import moto.sqs.models
import pytest
from moto.server import ThreadedMotoServer

from sweeplib import aws

REGION = "us-east-1"
_moto_unix_time_millis = moto.sqs.models.unix_time_millis
MAX_RECEIVE_COUNT = 3

# Variables that could send boto3 to another endpoint, account or profile.
_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_ATHENA",
    "AWS_ENDPOINT_URL_GLUE",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_LAMBDA",
)


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is ``localhost`` or a loopback IP address."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fast_unix_time_millis(dt: Any = None) -> float:
    """moto's ``unix_time_millis`` without the datetime round trip (same value)."""
    return time.time() * 1000.0 if dt is None else float(_moto_unix_time_millis(dt))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto in server mode on 127.0.0.1 (a free port); yield its URL.

    moto's SQS computes every queued message's visibility from a fresh datetime on every
    SendMessage and ReceiveMessage, so filling a queue is quadratic: 1,000 messages took
    ~20 s. The same clock read without the datetime arithmetic makes it ~1.5 s; the
    emulated behaviour is unchanged.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(moto.sqs.models, "unix_time_millis", _fast_unix_time_millis)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="package", autouse=True)
def aws_environment(moto_endpoint, tmp_path_factory) -> Iterator[str]:
    """Point every boto3 client of the integration tests at moto, with fake credentials."""
    if not is_loopback(moto_endpoint):
        pytest.fail(f"refusing to run AWS tests against a non-loopback endpoint {moto_endpoint}")
    empty = tmp_path_factory.mktemp("aws-config") / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for name in _CLEARED:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(empty))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_SESSION_TOKEN", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_REGION", REGION)
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield moto_endpoint


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch) -> None:
    """Make botocore refuse to send a request anywhere but loopback."""
    real_send = botocore.httpsession.URLLib3Session.send

    def send(self: Any, request: Any) -> Any:
        if not is_loopback(request.url):
            raise RuntimeError(f"integration tests may not leave 127.0.0.1: {request.url}")
        return real_send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", send)


def unique_name(stem: str) -> str:
    """``{stem}-{12 hex digits}``: a bucket or queue name no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="package")
def s3_client(aws_environment) -> Any:
    """An S3 client from the sweeplib factory, checked to point at moto (clients are
    thread-safe and slow to create, so tests share one)."""
    client = aws.client("s3")
    assert client.meta.endpoint_url == aws_environment
    return client


@pytest.fixture(scope="package")
def sqs_client(aws_environment) -> Any:
    """An SQS client from the sweeplib factory, checked to point at moto."""
    client = aws.client("sqs")
    assert client.meta.endpoint_url == aws_environment
    return client


@pytest.fixture
def bucket(s3_client) -> str:
    """A fresh, empty bucket; its name."""
    name = unique_name("sweeplib-test")
    s3_client.create_bucket(Bucket=name)
    return name


@dataclass(frozen=True)
class Queues:
    """A shard queue and its dead-letter queue."""

    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def _queue_arn(sqs_client: Any, url: str) -> str:
    attributes = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


@pytest.fixture
def queues(sqs_client) -> Queues:
    """A fresh shard queue whose messages move to a fresh DLQ after
    ``MAX_RECEIVE_COUNT`` receives."""
    stem = unique_name("sweeplib-shards")
    dlq_url = sqs_client.create_queue(QueueName=f"{stem}-dlq")["QueueUrl"]
    dlq_arn = _queue_arn(sqs_client, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = sqs_client.create_queue(
        QueueName=stem,
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "30"},
    )["QueueUrl"]
    return Queues(url=url, arn=_queue_arn(sqs_client, url), dlq_url=dlq_url, dlq_arn=dlq_arn)
