"""Submit latency of the largest allowed plan (part of ``make bench``).

Starts moto in server mode on 127.0.0.1 (fake credentials, nothing leaves the machine),
creates a bucket and a shard queue, and times the API handler accepting a
200,000-point, 1,000-shard request: validate, plan, claim the run id (conditional S3
write), write run_context, enqueue 1,000 messages with SendMessageBatch (several batches
in flight) after claiming them in a dispatch round. API Gateway allows 29 s.

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
        timings = []
        for attempt in range(args.repeat):
            queue_url = sqs.create_queue(QueueName=f"bench-shards-{attempt}")["QueueUrl"]
            config = DeploymentConfig.from_env(
                {"SWEEP_RESULTS_BUCKET": "bench-results", "SHARD_QUEUE_URL": queue_url}
            )
            deployment = Deployment(
                config,
                S3ObjectStore("bench-results", client=s3),
                SqsDispatcher(queue_url, client=sqs),
                lambda: dt.datetime.now(dt.UTC),
            )
            body = {
                "run_id": f"bench-{attempt}-{int(time.time())}",
                "dimensions": {
                    "commission_rate": [round(0.01 * i, 2) for i in range(50)],
                    "num_drivers": list(range(100, 140)),
                    "num_riders": list(range(500, 600)),
                },
                "shard_count": 1000,
                "seed": 1,
            }
            event = {
                "version": "2.0",
                "routeKey": "POST /sweep-run",
                "rawPath": "/sweep-run",
                "requestContext": {"http": {"method": "POST", "path": "/sweep-run"}},
                "body": json.dumps(body),
                "isBase64Encoded": False,
            }
            started = time.perf_counter()
            answer = handle(event, deployment=lambda built=deployment: built)
            elapsed = time.perf_counter() - started
            if answer["statusCode"] != 202:
                raise SystemExit(f"submission failed: {answer}")
            depth = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            if int(depth) != 1000:
                raise SystemExit(f"expected 1000 messages, found {depth}")
            timings.append(elapsed)
        median = statistics.median(timings)
        print(
            f"submit of a 200,000-point, 1,000-shard plan against moto on loopback: "
            f"median {median:.2f} s over {args.repeat} (min {min(timings):.2f}, "
            f"max {max(timings):.2f}); API Gateway allows {API_GATEWAY_LIMIT_S:.0f} s"
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
