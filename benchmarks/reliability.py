"""The adversarial pass of issue 15, as a command: what was tried, how often, what happened.

Prints one table (and ``--json`` writes the figures):

* **fuzzed events** — API Gateway (v1/v2) requests and SQS batches from the strategies of
  ``tests/events/fuzz.py``, given to the handler: exceptions raised, status codes, 4xx
  answers that wrote or enqueued anything;
* **forged messages** — every field of every genuine shard message of a submitted run
  changed in several ways, run through the worker's queue entry point: refusals, objects
  written, success records committed; then the genuine messages, and whether the run ends
  complete with every point;
* **crashes injected into acceptance** — at every write of an acceptance (before and after
  the object lands) and right after the send, then the same request submitted again, or
  ``rerun``: runs that end with their ``run_context`` record, messages sent against the plan;
* **concurrent identical submissions** — 5 threads submitting one request against moto S3:
  messages enqueued against the plan;
* **replay and status timings** — against moto on loopback: replaying a 222 KB request of
  1,000 shards, and ``GET /sweep-run/{id}`` of a run with 1,000 failed shards (medians).

Usage: ``python -m benchmarks.reliability [--examples N] [--repeat N] [--json PATH]``
(``make bench-reliability``). Fake credentials; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import datetime as dt
import json
import logging
import os
import statistics
import sys
import threading
import time
from typing import Any

NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)


def _silence() -> None:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    logging.getLogger("sweeplib").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


# -- the in-memory world ---------------------------------------------------------------------


class _Queue:
    """A thread-safe queue twin counting what it is handed."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[Any] = []
        self.delay = delay
        self.lock = threading.Lock()

    def dispatch(self, messages: Any) -> Any:
        from sweeplib.dispatch import DispatchRecord, DispatchReport

        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.sent.extend(messages)
        return DispatchReport(tuple(DispatchRecord(m.shard_id, 200) for m in messages))


def _deployment(store: Any, queue: Any) -> Any:
    from sweeplib.config import DeploymentConfig
    from sweeplib.contracts import Limits
    from sweeplib.handler import Deployment
    from sweeplib.storage import keys

    config = DeploymentConfig(
        bucket="results",
        queue_url="http://127.0.0.1/queue/shards",
        prefix=keys.DEFAULT_PREFIX,
        limits=Limits(),
        max_request_bytes=262_144,
        dispatch_enabled=True,
    )
    return Deployment(config, store, queue, lambda: NOW)


def _snapshot(store: Any) -> dict[str, bytes]:
    return {key: store.get(key) for key in store.list("")}


# -- fuzzed events ---------------------------------------------------------------------------


def fuzz(examples: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, Phase, given, settings

    from sweeplib.handler import handle
    from sweeplib.storage import MemoryObjectStore
    from tests.events import api_post, api_request
    from tests.events.fuzz import api_events, sqs_events

    found: dict[str, Any] = {
        "api_events": 0,
        "sqs_events": 0,
        "exceptions": 0,
        "status_codes": collections.Counter(),
        "unsupported_event_answers": 0,
        "4xx_that_wrote": 0,
        "sqs_answers_not_partial_batch": 0,
    }
    common = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    @common
    @given(event=api_events())
    def api(event: dict[str, Any]) -> None:
        store, queue = MemoryObjectStore(), _Queue()
        world = _deployment(store, queue)
        handle(api_post(1, api_request(run_id="present")), deployment=lambda: world)
        before, sent = _snapshot(store), len(queue.sent)
        found["api_events"] += 1
        try:
            answer = handle(event, deployment=lambda: world)
        except Exception:
            found["exceptions"] += 1
            return
        if "statusCode" not in answer:
            found["unsupported_event_answers"] += 1
            return
        status = answer["statusCode"]
        found["status_codes"][status] += 1
        if 400 <= status < 500 and (_snapshot(store) != before or len(queue.sent) != sent):
            found["4xx_that_wrote"] += 1

    @common
    @given(event=sqs_events())
    def sqs(event: dict[str, Any]) -> None:
        store = MemoryObjectStore()
        world = _deployment(store, _Queue())
        found["sqs_events"] += 1
        try:
            answer = handle(copy.deepcopy(event), deployment=lambda: world)
        except Exception:
            found["exceptions"] += 1
            return
        if "batchItemFailures" in answer:
            found["status_codes"]["sqs:partial-batch"] += 1
        elif answer.get("error") == "unsupported_event":
            found["unsupported_event_answers"] += 1
        else:
            found["sqs_answers_not_partial_batch"] += 1

    api()
    sqs()
    found["status_codes"] = dict(sorted(found["status_codes"].items(), key=str))
    return found


# -- forged messages -------------------------------------------------------------------------


def _forgeries(genuine: list[dict[str, Any]], shard_count: int) -> list[str]:
    forged = []
    for index, message in enumerate(genuine):
        other = genuine[(index + 1) % len(genuine)]
        dims = message["dimensions"]
        first = sorted(dims)[0]
        changes: list[dict[str, Any]] = [
            {"run_id": "never-submitted"},
            {"run_id": message["run_id"] + "x"},
            {"request_fingerprint": "0" * 64},
            {"request_fingerprint": "f" * 64},
            {"seed": message["seed"] + 1},
            {"seed": -message["seed"] - 1},
            {"run_date": "2026-02-15"},
            {"run_date": "2025-02-14"},
            {"shard_id": shard_count},
            {"shard_id": shard_count + 7},
            {"shard_id": other["shard_id"]},
            {
                "start_index": other["start_index"],
                "end_index_exclusive": other["end_index_exclusive"],
            },
            {"end_index_exclusive": message["total_points"]},
            {"start_index": 0},
            {"failure_injection_shards": []},
            {"failure_injection_shards": [message["shard_id"]]},
            {"dimensions": {**dims, first: [*dims[first][:-1], dims[first][-1] + 1]}},
            {"dimensions": {**dims, first: list(reversed(dims[first]))}},
        ]
        for change in changes:
            document = {**message, **change}
            if document != message:
                forged.append(json.dumps(document))
    return forged


def forge() -> dict[str, Any]:
    from sweeplib import services
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.errors import InvalidShardMessage
    from sweeplib.status import run_status
    from sweeplib.storage import MemoryObjectStore
    from sweeplib.worker import execute_shard_body

    store, queue = MemoryObjectStore(), _Queue()
    body = {
        "run_id": "forged-run",
        "dimensions": {"num_riders": [20, 30, 40, 50], "num_drivers": [5, 6], "match_radius": [2]},
        "shard_count": 5,
        "seed": 77,
        "failure_injection_shards": [4],
    }
    request = parse_sweep_request(body)
    services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")
    genuine = [m.to_json_dict() for m in queue.sent]
    forged = _forgeries(genuine, len(genuine))
    before = _snapshot(store)
    refused = written = commits = other_errors = 0
    for text in forged:
        try:
            execute_shard_body(text, store, NOW)
        except InvalidShardMessage:
            refused += 1
        except Exception:
            other_errors += 1
        after = _snapshot(store)
        if after != before:
            written += 1
            commits += sum(1 for k in set(after) - set(before) if "status_partition=success" in k)
            before = after
    for message in genuine:
        with contextlib.suppress(Exception):  # shard 4: the injected failure, by design
            execute_shard_body(json.dumps(message), store, NOW)
    status = run_status(store, "forged-run")
    return {
        "forged": len(forged),
        "refused": refused,
        "other_errors": other_errors,
        "forgeries_that_wrote": written,
        "success_records_committed_by_forgeries": commits,
        "genuine_then": {
            "succeeded": len(status.succeeded),
            "failed": len(status.failed),
            "missing": len(status.missing),
            "succeeded_points": status.succeeded_points,
            "total_points": status.total_points,
        },
    }


# -- crashes injected into acceptance ----------------------------------------------------------


class _Crash(Exception):
    pass


class _CrashingStore:
    """A memory store that crashes at its ``at``-th put: before the object lands, or
    after (an S3 timeout on a PUT that succeeded)."""

    def __init__(self, inner: Any, at: int, after: bool) -> None:
        self.inner, self.at, self.after, self.puts = inner, at, after, 0

    def put(self, key: str, body: bytes, *, if_absent: bool = False) -> None:
        self.puts += 1
        if self.puts == self.at:
            if self.after:
                self.inner.put(key, body, if_absent=if_absent)
            raise _Crash(key)
        self.inner.put(key, body, if_absent=if_absent)

    def get(self, key: str) -> bytes:
        return bytes(self.inner.get(key))

    def exists(self, key: str) -> bool:
        return bool(self.inner.exists(key))

    def list(self, prefix: str) -> Any:
        return self.inner.list(prefix)


class _DyingQueue(_Queue):
    def dispatch(self, messages: Any) -> Any:
        super().dispatch(messages)
        raise _Crash("after the send")


def crashes() -> dict[str, Any]:
    from sweeplib import services
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.storage import MemoryObjectStore, keys
    from sweeplib.submissions import load_submission

    body = {
        "run_id": "crash-run",
        "dimensions": {"num_riders": [20, 30, 40], "num_drivers": [5]},
        "shard_count": 3,
        "seed": 3,
    }
    request = parse_sweep_request(body)
    probe = _CrashingStore(MemoryObjectStore(), at=0, after=False)
    services.submit(request, store=probe, dispatcher=_Queue(), now=NOW, request_source="api")
    writes = probe.puts
    scenarios = [(at, after) for at in range(1, writes + 1) for after in (False, True)]
    scenarios.append((0, None))  # crash right after the messages were sent
    rows = collections.Counter()
    for at, after in scenarios:
        for recovery in ("submit again", "rerun"):
            inner, queue = MemoryObjectStore(), _Queue()
            if after is None:
                store, dispatcher = inner, _DyingQueue()
            else:
                store, dispatcher = _CrashingStore(inner, at, after), queue
            try:
                services.submit(
                    request, store=store, dispatcher=dispatcher, now=NOW, request_source="api"
                )
                rows["did_not_crash"] += 1
            except _Crash:
                pass
            sent = len(getattr(dispatcher, "sent", []))
            try:
                load_submission(inner, "crash-run")
                claimed = True
            except Exception:
                claimed = False
            if recovery == "submit again" or not claimed:
                services.submit(
                    request, store=inner, dispatcher=queue, now=NOW, request_source="api"
                )
            else:
                services.rerun(inner, "crash-run", queue)
            if dispatcher is not queue:
                sent += len(queue.sent)
            else:
                sent = len(queue.sent)
            context = keys.RunAddress.of("2026-02-14", "crash-run").run_context_key()
            rows["runs"] += 1
            rows["runs_with_run_context"] += inner.exists(context)
            rows["messages_sent"] += sent
            rows["messages_planned"] += 3
    return {"writes_per_acceptance": writes, "crash_points": len(scenarios), **rows}


# -- moto ------------------------------------------------------------------------------------


def _moto() -> Any:
    import socket

    import moto.sqs.models
    from moto.server import ThreadedMotoServer

    original = moto.sqs.models.unix_time_millis  # see benchmarks/submit.py
    moto.sqs.models.unix_time_millis = lambda d=None: (  # type: ignore[assignment]
        time.time() * 1000.0 if d is None else float(original(d))
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
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
    return server


def _post(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "POST /sweep-run",
        "rawPath": "/sweep-run",
        "requestContext": {"http": {"method": "POST", "path": "/sweep-run"}},
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _get(run_id: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /sweep-run/{run_id}",
        "rawPath": f"/sweep-run/{run_id}",
        "pathParameters": {"run_id": run_id},
        "requestContext": {"http": {"method": "GET", "path": f"/sweep-run/{run_id}"}},
        "isBase64Encoded": False,
    }


def concurrent_submissions(repeat: int) -> dict[str, Any]:
    from sweeplib import aws, services
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.storage.s3 import S3ObjectStore

    s3 = aws.client("s3")
    s3.create_bucket(Bucket="bench-twins")
    store = S3ObjectStore("bench-twins", client=s3)
    enqueued = planned = 0
    for attempt in range(repeat):
        request = parse_sweep_request(
            {
                "run_id": f"twins-{attempt}",
                "dimensions": {"num_riders": list(range(1, 101)), "num_drivers": [5]},
                "shard_count": 100,
                "seed": attempt,
            }
        )
        queue = _Queue(delay=0.02)
        barrier = threading.Barrier(5)

        def submit(request: Any = request, queue: _Queue = queue, barrier: Any = barrier) -> None:
            barrier.wait()
            services.submit(request, store=store, dispatcher=queue, now=NOW, request_source="api")

        threads = [threading.Thread(target=submit) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        enqueued += len(queue.sent)
        planned += 100
    return {"rounds": repeat, "submitters_per_round": 5, "enqueued": enqueued, "planned": planned}


def timings(repeat: int) -> dict[str, Any]:
    from sweeplib import aws
    from sweeplib.config import DeploymentConfig
    from sweeplib.dispatch.sqs import SqsDispatcher
    from sweeplib.handler import STATUS_ERROR_DETAILS, Deployment, handle
    from sweeplib.storage.s3 import S3ObjectStore

    s3, sqs = aws.client("s3"), aws.client("sqs")
    s3.create_bucket(Bucket="bench-timings")
    queue_url = sqs.create_queue(QueueName="bench-timings")["QueueUrl"]
    config = DeploymentConfig.from_env(
        {"SWEEP_RESULTS_BUCKET": "bench-timings", "SHARD_QUEUE_URL": queue_url}
    )
    store = S3ObjectStore("bench-timings", client=s3)
    deployment = Deployment(
        config, store, SqsDispatcher(queue_url, client=sqs), lambda: dt.datetime.now(dt.UTC)
    )
    # ≈222 KB: 9,000 base fares of the longest float repr x 20 rider counts, 1,000 shards
    fares = [1.2345678901234567e-300 * (1 + i * 1e-15) for i in range(9_000)]
    big = {
        "run_id": "replay-222kb",
        "dimensions": {"base_fare": fares, "num_riders": list(range(100, 120))},
        "shard_count": 1000,
        "seed": 1,
    }
    event = _post(big)
    size = len(event["body"].encode())
    started = time.perf_counter()
    first = handle(event, deployment=lambda: deployment)
    first_s = time.perf_counter() - started
    if first["statusCode"] != 202:
        raise SystemExit(f"the 222 KB submission failed: {first['body'][:300]}")
    sqs.purge_queue(QueueUrl=queue_url)
    replays = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = handle(event, deployment=lambda: deployment)
        replays.append(time.perf_counter() - started)
        if answer["statusCode"] != 202 or answer["headers"].get("X-Sweep-Replay") != "true":
            raise SystemExit(f"the replay was not a replay: {answer['statusCode']}")

    # a run whose 1,000 shards all failed (injected: each writes its failure record at once)
    from sweeplib import services
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.dispatch.inline import InlineDispatcher

    failing = parse_sweep_request(
        {
            "run_id": "all-failed",
            "dimensions": {"num_riders": list(range(1, 1001)), "num_drivers": [5]},
            "shard_count": 1000,
            "seed": 1,
            "failure_injection_shards": list(range(1000)),
        }
    )
    services.submit(
        failing,
        store=store,
        dispatcher=InlineDispatcher(store, clock=lambda: NOW),
        now=NOW,
        request_source="api",
    )
    statuses = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = handle(_get("all-failed"), deployment=lambda: deployment)
        statuses.append(time.perf_counter() - started)
        document = json.loads(answer["body"])
        if answer["statusCode"] != 200 or document["failed_shards"] != 1000:
            raise SystemExit(f"unexpected status answer: {answer['body'][:300]}")
        # The API reads STATUS_ERROR_DETAILS failure records; the rest are listed by id.
        detailed = [f for f in document["failed"] if f["error_code"] is not None]
        if len(detailed) != STATUS_ERROR_DETAILS or any(
            f["error_code"] != "injected_failure" for f in detailed
        ):
            raise SystemExit("the first failure records were not read")
        if document.get("failure_details_omitted") != 1000 - STATUS_ERROR_DETAILS:
            raise SystemExit("the omitted failure details are not counted")
    return {
        "request_bytes": size,
        "first_submit_s": round(first_s, 2),
        "replay_median_s": round(statistics.median(replays), 3),
        "replay_runs": repeat,
        "status_1000_failed_median_s": round(statistics.median(statuses), 3),
        "status_runs": repeat,
    }


# -- report ----------------------------------------------------------------------------------


def _table(found: dict[str, Any]) -> str:
    fz, fg, cr, tw, tm = (
        found["fuzz"],
        found["forge"],
        found["crashes"],
        found["concurrent"],
        found["timings"],
    )
    codes = ", ".join(f"{k}: {v}" for k, v in fz["status_codes"].items())
    gen = fg["genuine_then"]
    rows = [
        ("what was tried", "how many", "what happened"),
        (
            "fuzzed events (API v1/v2 + SQS batches)",
            f"{fz['api_events']} API + {fz['sqs_events']} SQS",
            f"{fz['exceptions']} exceptions; {codes}; "
            f"{fz['unsupported_event_answers']} unsupported_event documents; "
            f"{fz['4xx_that_wrote']} 4xx answers wrote or enqueued anything",
        ),
        (
            "forged shard messages (queue entry point)",
            str(fg["forged"]),
            f"{fg['refused']} refused, {fg['other_errors']} other errors, "
            f"{fg['forgeries_that_wrote']} wrote anything, "
            f"{fg['success_records_committed_by_forgeries']} commits; genuine messages then: "
            f"{gen['succeeded']} succeeded, {gen['failed']} failed (injected), "
            f"{gen['missing']} missing, {gen['succeeded_points']} of {gen['total_points']} "
            "points (the rest: the injected failure's shard)",
        ),
        (
            "crashes injected into acceptance (+ submit again / rerun)",
            f"{cr['crash_points']} crash points x 2 recoveries = {cr['runs']} runs",
            f"{cr['runs_with_run_context']} of {cr['runs']} runs with run_context; "
            f"{cr['messages_sent']} messages sent for {cr['messages_planned']} planned",
        ),
        (
            "concurrent identical submissions (5 threads, moto S3)",
            f"{tw['rounds']} rounds",
            f"{tw['enqueued']} messages enqueued, plan {tw['planned']}",
        ),
        (
            f"replay of a {tm['request_bytes'] / 1000:.0f} KB, 1,000-shard request (moto)",
            f"{tm['replay_runs']}",
            f"median {tm['replay_median_s']} s (first submission {tm['first_submit_s']} s)",
        ),
        (
            "GET status, 1,000 failed shards (moto)",
            f"{tm['status_runs']}",
            f"median {tm['status_1000_failed_median_s']} s",
        ),
    ]
    return "\n".join(" | ".join(row) for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="fuzzed events per shape")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions, rounds")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--only-timings", action="store_true", help="only the replay and status timings"
    )
    args = parser.parse_args()
    _silence()
    found: dict[str, Any] = {}
    if not args.only_timings:
        found.update(fuzz=fuzz(args.examples), forge=forge(), crashes=crashes())
    server = _moto()
    try:
        if not args.only_timings:
            found["concurrent"] = concurrent_submissions(args.repeat)
        found["timings"] = timings(args.repeat)
    finally:
        server.stop()
    found["load_average"] = os.getloadavg()
    if args.only_timings:
        print(json.dumps(found["timings"], indent=2))
    else:
        print(_table(found))
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in found['load_average'])}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(found, handle, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
