"""The client and ``sweep submit`` / ``sweep status --bucket`` over real HTTP.

A stand-in for API Gateway runs on 127.0.0.1 (``http.server`` in a thread): it checks
each request's SigV4 signature with botocore against the test credentials, as IAM
authorisation would, turns the request into a payload-v1 event and hands it to
``sweeplib.handler.handle`` with a deployment built on the moto bucket and queue. Shards are
only enqueued here, except where a test runs them from the queue with the worker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sweeplib.cli import main
from sweeplib.client import ApiError, SweepClient
from sweeplib.config import DeploymentConfig
from sweeplib.dispatch.sqs import SqsDispatcher
from sweeplib.errors import ObjectNotFound, SweepError
from sweeplib.handler import Deployment, handle
from sweeplib.storage.s3 import S3ObjectStore
from sweeplib.worker import execute_shard_body
from tests.factories import request_body
from tests.processes import watched_child

from .conftest import REGION

STAGE = "prod"
# What the package's aws_environment fixture exports (AWS_ACCESS_KEY_ID/…/SESSION_TOKEN).
ENV_KEY, ENV_SECRET, ENV_TOKEN = "testing", "testing", "testing"
KNOWN_IDENTITIES = {ENV_KEY: (ENV_SECRET, ENV_TOKEN)}
SIGNATURE_MAX_AGE = dt.timedelta(minutes=5)

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


def signature_problem(method: str, path: str, headers: Any, body: bytes) -> str | None:
    """Why API Gateway's IAM authoriser would refuse this request (``None``: it would not)."""
    match = AUTHORIZATION.match(headers.get("Authorization") or "")
    if not match:
        return "Missing Authentication Token"
    if match["key"] not in KNOWN_IDENTITIES:
        return "The security token included in the request is invalid."
    if (match["region"], match["service"]) != (REGION, "execute-api"):
        return f"Credential should be scoped to a valid region/service, not {match['region']}"
    signed = match["signed"].split(";")
    if not {"host", "x-amz-date"} <= set(signed):
        return "host and x-amz-date must be signed"
    amz_date = headers.get("X-Amz-Date") or ""
    stamp = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    if amz_date[:8] != match["date"] or abs(dt.datetime.now(dt.UTC) - stamp) > SIGNATURE_MAX_AGE:
        return "Signature expired or dated outside its credential scope"
    secret, token = KNOWN_IDENTITIES[match["key"]]
    if token and ("x-amz-security-token" not in signed or headers["X-Amz-Security-Token"] != token):
        return "The security token included in the request is invalid."
    claimed = headers.get("X-Amz-Content-SHA256")
    if claimed is not None and claimed != hashlib.sha256(body).hexdigest():
        return "The body does not match its signed hash"
    request = AWSRequest(
        method=method,
        url=f"http://{headers['Host']}{path}",
        data=body,
        headers={name: headers[name] for name in signed},
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(match["key"], secret, token), "execute-api", REGION)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        return "The request signature we calculated does not match the signature you provided."
    return None


def v1_event(method: str, path: str, headers: Any, body: bytes) -> dict[str, Any] | None:
    """The REST API (payload v1) event of a request to ``/{STAGE}/sweep-run[/{run_id}]``."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[:2] != [STAGE, "sweep-run"] or len(parts) > 3:
        return None
    resource = "/sweep-run" if len(parts) == 2 else "/sweep-run/{run_id}"
    run_id = unquote(parts[2]) if len(parts) == 3 else None
    return {
        "resource": resource,
        "path": "/" + "/".join(unquote(p) for p in parts[1:]),
        "httpMethod": method,
        "headers": dict(headers.items()),
        "queryStringParameters": None,
        "pathParameters": {"run_id": run_id} if run_id is not None else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "identity": {"accessKey": AUTHORIZATION.match(headers["Authorization"])["key"]},
        },
        "body": body.decode() if body else None,
        "isBase64Encoded": False,
    }


class Gateway(ThreadingHTTPServer):
    """API Gateway's stand-in on 127.0.0.1: IAM (SigV4) check, then the Lambda handler."""

    daemon_threads = True

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.deployment = deployment
        self.requests: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{STAGE}"


class _GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def log_message(self, *args: Any) -> None:  # no access log on stderr
        pass

    def _reply(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.command, self.path))
        if self.path.startswith("/moved/"):
            self._reply(307, "{}", {"Location": f"/{STAGE}/sweep-run"})
            return
        problem = signature_problem(self.command, self.path, self.headers, body)
        event = None if problem else v1_event(self.command, self.path, self.headers, body)
        if event is None:
            # REST APIs answer an unknown route like a missing signature.
            self._reply(403, json.dumps({"message": problem or "Missing Authentication Token"}))
            return
        response = handle(event, deployment=lambda: self.server.deployment)
        self._reply(response["statusCode"], response["body"], response.get("headers"))


def make_deployment(bucket: str, queue_url: str, s3_client: Any, sqs_client: Any) -> Deployment:
    config = DeploymentConfig.from_env(
        {"SWEEP_RESULTS_BUCKET": bucket, "SHARD_QUEUE_URL": queue_url}
    )
    return Deployment(
        config,
        S3ObjectStore(bucket, client=s3_client),
        SqsDispatcher(queue_url, client=sqs_client),
        lambda: dt.datetime.now(dt.UTC),
    )


@pytest.fixture
def gateway(bucket, queues, s3_client, sqs_client) -> Iterator[Gateway]:
    server = Gateway(make_deployment(bucket, queues.url, s3_client, sqs_client))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def sweep_request(run_id: str, **changes: Any) -> dict[str, Any]:
    """The factories' small request, shard 1 failing on purpose."""
    return request_body(run_id, **{"failure_injection_shards": [1], **changes})


@pytest.fixture
def request_file(tmp_path):
    def write(run_id: str, **changes: Any) -> str:
        path = tmp_path / f"{run_id}-{uuid.uuid4().hex[:6]}.json"
        path.write_text(json.dumps(sweep_request(run_id, **changes)))
        return str(path)

    return write


def queued(sqs_client, queue_url: str) -> int:
    attributes = sqs_client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def submit(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["submit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- submit ----------------------------------------------------------------------------


def test_submit_replay_and_conflict_through_the_signed_api(
    gateway, request_file, sqs_client, queues, capsys
):
    path = request_file("cli-run")
    code, out, _ = submit(capsys, path, "--api-url", gateway.url)
    assert code == 0
    assert out.splitlines()[0] == "run cli-run accepted: 4 point(s), 3 shard(s) enqueued"
    assert queued(sqs_client, queues.url) == 3

    code, out, _ = submit(capsys, path, "--api-url", gateway.url)
    assert code == 0
    assert out.splitlines()[0] == (
        "run cli-run was already accepted with this request (replay): "
        "4 point(s), 3 shard(s) enqueued before; nothing enqueued again"
    )

    code, out, _ = submit(capsys, path, "--api-url", gateway.url + "/", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["replayed"] is True
    assert (answer["run_id"], answer["shards_dispatched"], answer["status"]) == (
        "cli-run",
        3,
        "dispatch_submitted",
    )
    assert queued(sqs_client, queues.url) == 3  # a replay enqueues nothing

    code, out, err = submit(capsys, request_file("cli-run", seed=12), "--api-url", gateway.url)
    assert code == 2
    assert err.startswith("sweep submit: run cli-run: ") and out == ""
    assert queued(sqs_client, queues.url) == 3
    assert gateway.requests == [("POST", "/prod/sweep-run")] * 4


def test_a_bad_request_never_reaches_the_api(gateway, request_file, capsys):
    code, _, err = submit(
        capsys, request_file("bad-run", shard_size=0, shard_count=None), "--api-url", gateway.url
    )
    assert code == 2
    assert "invalid shard_size" in err
    assert gateway.requests == []


def test_the_deployments_own_caps_are_enforced_by_the_api(gateway, request_file, capsys):
    # Valid values, but 300,000 points: over this deployment's cap of 200,000.
    dimensions = {"num_riders": list(range(1, 601)), "num_drivers": list(range(1, 501))}
    code, _, err = submit(
        capsys, request_file("big-run", dimensions=dimensions), "--api-url", gateway.url
    )
    assert code == 2
    assert "invalid dimensions: " in err and "200000" in err
    assert len(gateway.requests) == 1


def test_incomplete_dispatch_names_the_shards_and_submitting_again_completes_it(
    gateway, request_file, bucket, queues, s3_client, sqs_client, capsys
):
    gateway.deployment = make_deployment(bucket, queues.url + "-gone", s3_client, sqs_client)
    path = request_file("partial-run")
    code, _, err = submit(capsys, path, "--api-url", gateway.url)
    assert code == 1
    assert "3 shard(s) could not be enqueued: 0, 1, 2" in err
    assert "Submit the same request again" in err
    assert queued(sqs_client, queues.url) == 0

    gateway.deployment = make_deployment(bucket, queues.url, s3_client, sqs_client)
    code, out, _ = submit(capsys, path, "--api-url", gateway.url)
    assert code == 0
    assert "3 shard(s) enqueued" in out and "replay" not in out
    assert queued(sqs_client, queues.url) == 3


def test_the_gateway_refuses_a_wrong_secret(gateway, bucket, s3_client):
    session = boto3.Session(
        aws_access_key_id=ENV_KEY,
        aws_secret_access_key="not-the-secret",
        aws_session_token=ENV_TOKEN,
        region_name=REGION,
    )
    client = SweepClient(gateway.url, session=session)
    with pytest.raises(ApiError) as info:
        client.submit(sweep_request("forged-run"))
    assert info.value.status == 403
    assert "signature we calculated does not match" in info.value.message
    with pytest.raises(ObjectNotFound):  # nothing was accepted
        S3ObjectStore(bucket, client=s3_client).get(
            "serverless-sweeps/outcomes/_runs/run_id=forged-run/submission.json"
        )


def test_redirects_are_not_followed_with_the_signature(gateway):
    client = SweepClient(gateway.url.replace("/prod", "/moved"), region=REGION)
    with pytest.raises(ApiError) as info:
        client.submit(sweep_request("moved-run"))
    assert info.value.status == 307
    assert gateway.requests == [("POST", "/moved/sweep-run")]


def test_client_status_through_the_api(gateway):
    client = SweepClient(gateway.url)
    assert client.submit(sweep_request("api-status-run")).replayed is False
    document = client.status("api-status-run")
    assert (document["planned_shards"], document["missing_shards"]) == (3, 3)
    assert document["missing"] == [0, 1, 2]
    with pytest.raises(ObjectNotFound):
        client.status("no-such-run")


# -- status from the bucket ------------------------------------------------------------


def test_status_from_the_bucket_shows_planned_and_missing(gateway, request_file, bucket, capsys):
    assert submit(capsys, request_file("s3-run"), "--api-url", gateway.url)[0] == 0
    assert main(["status", "s3-run", "--bucket", bucket, "--region", REGION]) == 0
    out = capsys.readouterr().out
    assert re.search(r"planned\s+3 shard\(s\)", out)
    assert re.search(r"missing\s+3 shard\(s\)", out)
    assert "missing shards: 0, 1, 2" in out

    assert main(["status", "s3-run", "--bucket", bucket, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["planned_shards"], document["succeeded_shards"]) == (3, 0)
    assert document["missing"] == [0, 1, 2]

    assert main(["status", "other-run", "--bucket", bucket]) == 1
    assert "no such object" in capsys.readouterr().err


def run_queued_shards(sqs_client, queue_url: str, store: S3ObjectStore, count: int) -> None:
    """The Lambda's SQS side, one message at a time: run it with the worker, delete it."""
    done = 0
    deadline = time.monotonic() + 60
    while done < count and time.monotonic() < deadline:
        answer = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
        for message in answer.get("Messages", []):
            time.sleep(0.1)  # let the watcher see intermediate states
            with contextlib.suppress(SweepError):  # the injected failure: record written
                execute_shard_body(message["Body"], store, dt.datetime.now(dt.UTC))
            sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            done += 1


def test_watch_follows_the_shards_until_none_is_missing(
    gateway, request_file, bucket, queues, s3_client, sqs_client, capsys
):
    assert submit(capsys, request_file("watch-run"), "--api-url", gateway.url)[0] == 0
    worker = threading.Thread(
        target=run_queued_shards,
        args=(sqs_client, queues.url, S3ObjectStore(bucket, client=s3_client), 3),
    )
    worker.start()
    try:
        watch = ["--watch", "--interval", "0.05", "--timeout", "60"]
        code = main(["status", "watch-run", "--bucket", bucket, *watch])
    finally:
        worker.join()
    captured = capsys.readouterr()
    assert code == 0
    assert re.search(r"succeeded\s+2 shard\(s\), 3 point\(s\)", captured.out)
    assert re.search(r"failed\s+1 shard\(s\)", captured.out)
    assert re.search(r"missing\s+0 shard\(s\)", captured.out)
    assert "shard 1: injected_failure" in captured.out
    assert "watching run watch-run in s3://" in captured.err
    assert "3/3" in captured.err  # the progress bar reached the end


def test_watch_gives_up_at_its_timeout(gateway, request_file, bucket, capsys):
    assert submit(capsys, request_file("slow-run"), "--api-url", gateway.url)[0] == 0
    started = time.monotonic()
    watch = ["--watch", "--interval", "0.05", "--timeout", "0.3", "--json"]
    code = main(["status", "slow-run", "--bucket", bucket, *watch])
    captured = capsys.readouterr()
    assert code == 1
    assert time.monotonic() - started < 10
    assert json.loads(captured.out)["missing"] == [0, 1, 2]
    assert "3 of 3 shard(s) still have no outcome after 0.3 s" in captured.err


def test_ctrl_c_stops_watching_with_exit_130(gateway, request_file, bucket, capsys):
    """A real SIGINT to `sweep status --watch`, sent once the child has polled twice.

    Nobody runs the shards here, so the watch cannot end by itself. Each poll redraws the
    shard bar on stderr with its counts (``ok=0 failed=0``); the bar's first drawing, when
    it is created, has none.
    """
    assert submit(capsys, request_file("sigint-run"), "--api-url", gateway.url)[0] == 0
    # The child inherits the fixture's environment: fake credentials, moto's endpoint.
    watch = ["--bucket", bucket, "--watch", "--interval", "0.1"]
    command = [sys.executable, "-m", "sweeplib.cli", "status", "sigint-run", *watch]
    with watched_child(command) as (child, stdout, stderr):
        text = stderr.wait_for(
            lambda text: text.count("ok=0 failed=0") >= 2, timeout=60, what="two polls"
        )
        assert text.startswith("watching run sigint-run"), text
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    assert child.returncode == 130, stderr.text
    assert "stopped watching run sigint-run" in stderr.text
    assert "Traceback" not in stderr.text and stdout.text == ""
