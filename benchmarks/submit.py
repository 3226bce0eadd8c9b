"""Submit latency of the largest allowed plans (part of ``make bench``).

Starts moto in server mode on 127.0.0.1 (fake credentials, nothing leaves the machine),
creates a bucket and a shard queue, and times the API handler accepting

* a 200,000-point, 1,000-shard grid request, and
* a 50,000-point explicit design (scrambled Sobol over three dimensions, one fixed,
  DESIGN §3.6) in 1,000 shards,

each: validate, plan, claim the run id (conditional S3 write), write run_context, claim a
dispatch round, enqueue 1,000 messages with SendMessageBatch (several batches in flight).
API Gateway allows 29 s. It also finds the largest design of that shape whose API Gateway
event still fits Lambda's 6 MB synchronous payload and the deployment's
``MAX_REQUEST_BYTES``, and submits it once.

Usage: ``python -m benchmarks.submit [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import statistics
import sys
import time

API_GATEWAY_LIMIT_S = 29.0
#: Lambda's synchronous invocation payload limit (the whole event, body escaped in it).
LAMBDA_PAYLOAD_BYTES = 6_291_456


def _event(body: dict) -> dict:  # type: ignore[type-arg]
    return {
        "version": "2.0",
        "routeKey": "POST /sweep-run",
        "rawPath": "/sweep-run",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/sweep-run"}},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _design_body(run_id: str, points: int) -> dict:  # type: ignore[type-arg]
    from sweeplib.designs import make_design, parse_range

    factors = [
        parse_range("commission_rate=0:0.3"),
        parse_range("num_drivers=50:500:int"),
        parse_range("num_riders=100:2000:int"),
    ]
    design = make_design("sobol", factors, samples=points, fixed={"match_radius": 5}, seed=1)
    return design.request(run_id, shard_count=1000, seed=1)


def _largest_design(max_request_bytes: int) -> tuple[int, int, int]:
    """The most design points whose body and event fit: (points, body bytes, event bytes)."""
    low, high = 1_000, 200_000
    sizes: dict[int, tuple[int, int]] = {}

    def fits(n: int) -> bool:
        event = _event(_design_body("largest", n))
        body_bytes = len(event["body"].encode())
        event_bytes = len(json.dumps(event).encode())
        sizes[n] = (body_bytes, event_bytes)
        return body_bytes <= max_request_bytes and event_bytes <= LAMBDA_PAYLOAD_BYTES

    while high - low > 500:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    fits(low)
    return low, *sizes[low]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import moto.sqs.models
    from moto.server import ThreadedMotoServer

    # moto's SQS recomputes every queued message's visibility through a datetime round
    # trip on each call, which makes filling a queue quadratic (a moto artefact that real
    # SQS does not have); read the same clock directly, as the integration tests do.
    original = moto.sqs.models.unix_time_millis
    moto.sqs.models.unix_time_millis = lambda d=None: (  # type: ignore[assignment]
        time.time() * 1000.0 if d is None else float(original(d))
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
    )
    try:
        from sweeplib import aws
        from sweeplib.config import DeploymentConfig
        from sweeplib.dispatch.sqs import SqsDispatcher
        from sweeplib.handler import Deployment, handle
        from sweeplib.storage.s3 import S3ObjectStore

        s3, sqs = aws.client("s3"), aws.client("sqs")
        s3.create_bucket(Bucket="bench-results")
        queues = iter(range(10**6))

        def submit(body: dict) -> float:  # type: ignore[type-arg]
            queue_url = sqs.create_queue(QueueName=f"bench-shards-{next(queues)}")["QueueUrl"]
            config = DeploymentConfig.from_env(
                {"SWEEP_RESULTS_BUCKET": "bench-results", "SHARD_QUEUE_URL": queue_url}
            )
            deployment = Deployment(
                config,
                S3ObjectStore("bench-results", client=s3),
                SqsDispatcher(queue_url, client=sqs),
                lambda: dt.datetime.now(dt.UTC),
            )
            event = _event(body)
            started = time.perf_counter()
            answer = handle(event, deployment=lambda built=deployment: built)
            elapsed = time.perf_counter() - started
            if answer["statusCode"] != 202:
                raise SystemExit(f"submission failed: {answer['body'][:500]}")
            depth = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            if int(depth) != 1000:
                raise SystemExit(f"expected 1000 messages, found {depth}")
            return elapsed

        def report(what: str, timings: list[float]) -> None:
            print(
                f"submit of {what} against moto on loopback: median "
                f"{statistics.median(timings):.2f} s over {len(timings)} (min "
                f"{min(timings):.2f}, max {max(timings):.2f}); API Gateway allows "
                f"{API_GATEWAY_LIMIT_S:.0f} s"
            )

        stamp = int(time.time())
        grid = {
            "dimensions": {
                "commission_rate": [round(0.01 * i, 2) for i in range(50)],
                "num_drivers": list(range(100, 140)),
                "num_riders": list(range(500, 600)),
            },
            "shard_count": 1000,
            "seed": 1,
        }
        report(
            "a 200,000-point, 1,000-shard grid",
            [submit({"run_id": f"grid-{i}-{stamp}", **grid}) for i in range(args.repeat)],
        )
        design = _design_body("design", 50_000)
        event_bytes = len(json.dumps(_event(design)).encode())
        report(
            f"a 50,000-point explicit Sobol design in 1,000 shards ({event_bytes:,}-byte event)",
            [submit({**design, "run_id": f"design-{i}-{stamp}"}) for i in range(args.repeat)],
        )
        limit = DeploymentConfig.from_env({"SWEEP_RESULTS_BUCKET": "b"}).max_request_bytes
        points, body_bytes, event_bytes = _largest_design(limit)
        print(
            f"largest design of this shape accepted: {points:,} points ({body_bytes:,}-byte "
            f"body ≤ MAX_REQUEST_BYTES {limit:,}; {event_bytes:,}-byte event ≤ Lambda's "
            f"{LAMBDA_PAYLOAD_BYTES:,})"
        )
        report(
            f"the largest design ({points:,} points)",
            [submit(_design_body(f"largest-{stamp}", points))],
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
