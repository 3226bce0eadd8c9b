"""A cloud run's completion starts its Athena consolidation (ADR 0022), over moto S3/SQS
on 127.0.0.1. Athena's two calls are replaced by a fake client that records the SQL and,
as UNLOAD would, writes an object into the statement's ``TO`` folder."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time

import pytest

from sweeplib.consolidation import consolidate_athena, consolidate_when_complete, read_consolidation
from sweeplib.handler import handle
from sweeplib.query.athena_statements import AthenaStatements
from sweeplib.storage import decode_table, keys
from sweeplib.storage.s3 import S3ObjectStore
from tests.events import api_post
from tests.factories import NOW

from .test_handler_end_to_end import REQUEST, play_event_source_mapping, sqs_record
from .test_handler_end_to_end import deployment as plain_deployment  # noqa: F401 (fixture)

COMPLETE = {**REQUEST, "failure_injection_shards": []}
ADDRESS = keys.RunAddress.of(NOW.date(), "e2e-run")


class FakeAthena:
    """``start_query_execution`` / ``get_query_execution`` of an Athena client."""

    def __init__(self, s3_client, *, delay_s: float = 0.0, fail: bool = False):
        self.s3 = s3_client
        self.started: list[dict] = []
        self.delay_s = delay_s
        self.fail = fail
        self._lock = threading.Lock()

    def start_query_execution(self, **request):
        time.sleep(self.delay_s)
        location = re.search(r"TO 's3://([^/]+)/([^']+)'", request["QueryString"])
        assert location, request["QueryString"]
        bucket, folder = location.groups()
        with self._lock:
            self.started.append(request)
            number = len(self.started)
        self.s3.put_object(Bucket=bucket, Key=f"{folder}unload-{number}.parquet", Body=b"x")
        return {"QueryExecutionId": f"q-{number}"}

    def get_query_execution(self, QueryExecutionId):  # noqa: N803 (boto3's spelling)
        state = "FAILED" if self.fail else "SUCCEEDED"
        return {"QueryExecution": {"Status": {"State": state, "StateChangeReason": "boom"}}}


@pytest.fixture
def fake_athena(monkeypatch, s3_client):
    fake = FakeAthena(s3_client)
    monkeypatch.setattr(AthenaStatements, "_athena", lambda self: fake)
    return fake


@pytest.fixture
def deployment(plain_deployment):  # noqa: F811
    built = plain_deployment()
    config = dataclasses.replace(
        built.config, athena_workgroup="sweeps", athena_output_location="s3://meta/athena/"
    )
    with_athena = dataclasses.replace(built, config=config)
    return lambda: with_athena


def _unloads(fake: FakeAthena) -> list[str]:
    return [r["QueryString"] for r in fake.started]


def test_the_last_shard_to_commit_starts_the_consolidation_once(
    deployment, fake_athena, sqs_client, queues, s3_client, bucket
):
    assert handle(api_post(2, COMPLETE), deployment=deployment)["statusCode"] == 202
    received = sqs_client.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=10)["Messages"]
    records = sorted((sqs_record(m, queues.arn) for m in received), key=lambda r: r["body"])
    assert len(records) == 3
    # Two shards committed: the run is not complete, nothing starts.
    assert handle({"Records": records[:2]}, deployment=deployment) == {"batchItemFailures": []}
    assert fake_athena.started == []
    # The third completes it: one UNLOAD per run-level table, in the run's own folders.
    assert handle({"Records": records[2:]}, deployment=deployment) == {"batchItemFailures": []}
    sql = _unloads(fake_athena)
    assert len(sql) == 3
    for table, statement in zip(("run_trips", "run_snapshots", "run_points"), sql, strict=True):
        folder = ADDRESS.run_table_prefix(table, 0).replace("generation=0/", "generation=0-0/")
        assert f"TO 's3://{bucket}/{folder}'" in statement
        assert "WHERE m.run_id = 'e2e-run'" in statement or "t.run_id = 'e2e-run'" in statement
        assert "status = 'success'" in statement
    assert {r["WorkGroup"] for r in fake_athena.started} == {"sweeps"}
    assert {r["QueryExecutionContext"]["Database"] for r in fake_athena.started} == {
        "ride_sim_analytics"
    }
    store = S3ObjectStore(bucket, client=s3_client)
    context = decode_table(store.get(ADDRESS.run_context_key())).to_pylist()[0]
    assert f"CAST('{context['kernel_hash']}' AS varchar) AS kernel_hash" in sql[2]  # provenance
    record = read_consolidation(store, ADDRESS)
    assert record is not None
    assert (record.generation, record.shard_ids, record.partitions) == (0, (0, 1, 2), ("0-0",))
    assert record.points == 4 and record.engine == "athena"
    assert store.exists(keys.consolidation_claim_key("e2e-run", 0))
    # Duplicate deliveries of every shard: skipped, and the consolidation is not redone.
    duplicates = [{**r, "messageId": f"dup-{i}"} for i, r in enumerate(records)]
    assert handle({"Records": duplicates}, deployment=deployment) == {"batchItemFailures": []}
    assert len(fake_athena.started) == 3
    assert read_consolidation(store, ADDRESS) == record


def test_an_incomplete_run_is_not_consolidated(deployment, fake_athena, sqs_client, queues):
    handle(api_post(2, REQUEST), deployment=deployment)  # shard 1 always fails
    play_event_source_mapping(sqs_client, queues, deployment, rounds=4)
    assert fake_athena.started == []


def test_a_failed_consolidation_leaves_the_shard_committed_and_no_record(
    deployment, fake_athena, sqs_client, queues, s3_client, bucket
):
    fake_athena.fail = True
    handle(api_post(2, COMPLETE), deployment=deployment)
    responses = play_event_source_mapping(sqs_client, queues, deployment)
    assert all(r == {"batchItemFailures": []} for r in responses)
    store = S3ObjectStore(bucket, client=s3_client)
    assert read_consolidation(store, ADDRESS) is None
    assert len(list(store.list(ADDRESS.dataset_prefix("shard_outcomes", status="success")))) == 3
    # By hand, later: a fresh generation past the failed attempt's leftover folder.
    fake_athena.fail = False
    runner = AthenaStatements(workgroup="sweeps", poll_s=0)
    record = consolidate_athena(store, "e2e-run", athena=runner, bucket=bucket, now=NOW)
    assert record is not None and record.generation == 1


def test_concurrent_last_shards_start_one_consolidation(deployment, fake_athena, s3_client, bucket):
    handle(api_post(2, COMPLETE), deployment=deployment)
    store = deployment().store
    # Commit every shard's success record as if three workers finished at once.
    from sweeplib.storage.parquet import encode_rows
    from sweeplib.storage.schemas import SHARD_OUTCOMES_SCHEMA

    for shard, (start, end) in enumerate([(0, 2), (2, 3), (3, 4)]):
        row = {
            "run_id": "e2e-run", "shard_id": shard, "status": "success", "start_index": start,
            "end_index_exclusive": end, "event_time": "2026-02-14T09:00:00Z",
            "record_schema": "v1", "result_key": None, "points_processed": end - start,
            "format": "parquet", "error_code": None, "error_message": None,
        }  # fmt: skip
        store.put(
            ADDRESS.shard_outcome_key("success", shard), encode_rows([row], SHARD_OUTCOMES_SCHEMA)
        )
    fake_athena.delay_s = 0.05  # long enough for the callers to overlap
    results = []

    def last_shard() -> None:
        runner = AthenaStatements(workgroup="sweeps", poll_s=0)
        results.append(
            consolidate_when_complete(store, "e2e-run", athena=runner, bucket=bucket, now=NOW)
        )

    threads = [threading.Thread(target=last_shard) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_athena.started) == 3  # one consolidation's statements, not four
    assert sum(1 for r in results if r is not None and r.changed) == 1


def test_newer_generations_tag_the_objects_of_older_ones_for_expiry(
    deployment, fake_athena, s3_client, bucket
):
    handle(api_post(2, COMPLETE), deployment=deployment)
    store = deployment().store
    from sweeplib.storage.parquet import encode_rows
    from sweeplib.storage.s3 import COLLECT_TAG
    from sweeplib.storage.schemas import SHARD_OUTCOMES_SCHEMA

    row = {
        "run_id": "e2e-run", "shard_id": 0, "status": "success", "start_index": 0,
        "end_index_exclusive": 2, "event_time": "2026-02-14T09:00:00Z", "record_schema": "v1",
        "result_key": None, "points_processed": 2, "format": "parquet", "error_code": None,
        "error_message": None,
    }  # fmt: skip
    store.put(ADDRESS.shard_outcome_key("success", 0), encode_rows([row], SHARD_OUTCOMES_SCHEMA))
    runner = AthenaStatements(workgroup="sweeps", poll_s=0)

    def collected() -> dict[str, bool]:
        """Generation partition -> whether all its objects carry the collect tag."""
        found: dict[str, bool] = {}
        for table in keys.RUN_TABLE_DATASETS:
            folder = ADDRESS.run_table_prefix(table, 0).rsplit("generation=", 1)[0]
            for key in store.list(folder):
                tags = s3_client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
                tagged = {"Key": COLLECT_TAG, "Value": "true"} in tags
                partition = key.split("generation=")[1].split("/")[0]
                found[partition] = found.get(partition, True) and tagged
        return found

    expected = [
        {"0-0": False},
        {"0-0": False, "1-0": False},
        {"0-0": True, "1-0": False, "2-0": False},
        {"0-0": True, "1-0": True, "2-0": False, "3-0": False},
    ]
    for state in expected:
        record = consolidate_athena(
            store, "e2e-run", athena=runner, bucket=bucket, now=NOW, force=True
        )
        assert record is not None
        assert collected() == state  # the current generation and the one before stay
        assert read_consolidation(store, ADDRESS).partitions == (f"{record.generation}-0",)
    assert json.loads(store.get(keys.submission_key("e2e-run")))  # the run's records stay
