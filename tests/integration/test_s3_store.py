"""The ObjectStore contract against moto's S3 over HTTP, and the same assertions against
the memory and local stores; then what only the S3 adapter does (error mapping, retries)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
import botocore.exceptions
import pytest

from sweeplib import aws
from sweeplib.errors import ConfigurationError, ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage import keys
from sweeplib.storage.local import LocalObjectStore
from sweeplib.storage.s3 import CONFLICT_ATTEMPTS, S3ObjectStore, put_object_request
from sweeplib.storage.store import MemoryObjectStore, ObjectStore

KEY = keys.RunAddress.of("2026-02-14", "run-1").shard_outcome_key("success", 0)


@pytest.fixture(params=["memory", "local", "s3"])
def store(request, tmp_path) -> ObjectStore:
    """Each ObjectStore implementation; the S3 one over a fresh moto bucket."""
    if request.param == "memory":
        return MemoryObjectStore()
    if request.param == "local":
        return LocalObjectStore(tmp_path / "data")
    bucket = request.getfixturevalue("bucket")
    return S3ObjectStore(bucket, client=request.getfixturevalue("s3_client"))


def put_many(store: ObjectStore, keys_: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: store.put(k, k.encode()), keys_))


# -- the contract, for every store -----------------------------------------------------------


def test_store_implements_the_port(store):
    assert isinstance(store, ObjectStore)


def test_round_trip_exists_and_overwrite(store):
    body = bytes(range(256)) * 40
    assert not store.exists(KEY)
    store.put(KEY, body)
    assert store.exists(KEY)
    assert store.get(KEY) == body
    store.put(KEY, b"new")
    assert store.get(KEY) == b"new"


def test_empty_body_round_trips(store):
    store.put(KEY, b"")
    assert store.exists(KEY)
    assert store.get(KEY) == b""


def test_missing_key_is_object_not_found(store):
    with pytest.raises(ObjectNotFound) as info:
        store.get(KEY)
    assert info.value.key == KEY
    assert not store.exists(KEY)


def test_conditional_create_when_absent(store):
    store.put(KEY, b"first", if_absent=True)
    assert store.get(KEY) == b"first"


def test_conditional_create_refused_and_original_unchanged(store):
    store.put(KEY, b"original")
    with pytest.raises(PreconditionFailed) as info:
        store.put(KEY, b"intruder", if_absent=True)
    assert info.value.key == KEY
    assert store.get(KEY) == b"original"


def test_concurrent_conditional_creates_have_exactly_one_winner(store):
    writers = 8
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(writers)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            store.put(KEY, f"writer-{i}".encode() * 1_000, if_absent=True)
            outcomes[i] = "won"
        except PreconditionFailed:
            outcomes[i] = "refused"

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, outcome in outcomes.items() if outcome == "won"]
    assert len(outcomes) == writers
    assert len(winners) == 1
    assert store.get(KEY) == f"writer-{winners[0]}".encode() * 1_000


@pytest.mark.slow  # ~10 s against moto (about 9 ms a PutObject, serialised by the GIL)
def test_listing_more_than_a_thousand_keys_is_complete_and_sorted(store):
    names = [
        keys.RunAddress.of("2026-02-14", "big").shard_outcome_key("success", s)
        for s in range(1_001)
    ]
    put_many(store, names)
    prefix = keys.RunAddress.of("2026-02-14", "big").dataset_prefix("shard_outcomes")
    listed = list(store.list(prefix))
    assert listed == sorted(names)
    assert len(listed) == 1_001
    if isinstance(store, S3ObjectStore):  # the listing really took more than one page
        first_page = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix)
        assert first_page["IsTruncated"]
        assert len(first_page["Contents"]) == 1_000


def test_listing_respects_run_prefix_boundaries(store):
    r1 = [
        keys.RunAddress.of("2026-02-14", "r1").shard_outcome_key("success", s) for s in (0, 2, 10)
    ]
    r10 = [keys.RunAddress.of("2026-02-14", "r10").shard_outcome_key("success", s) for s in (0, 1)]
    put_many(store, r1 + r10)
    assert list(
        store.list(keys.RunAddress.of("2026-02-14", "r1").dataset_prefix("shard_outcomes"))
    ) == sorted(r1)
    assert list(
        store.list(keys.RunAddress.of("2026-02-14", "r10").dataset_prefix("shard_outcomes"))
    ) == sorted(r10)
    # A plain string prefix, as in S3: without the trailing slash "r1" matches "r10" too.
    run_date = keys.run_date_prefix("shard_outcomes", "2026-02-14")
    both = list(store.list(f"{run_date}run_id_partition=r1"))
    assert both == sorted(r1 + r10)
    assert list(store.list("no/such/prefix/")) == []


def test_listing_everything_with_the_empty_prefix(store):
    put_many(store, ["b/1", "a/2", "a/10"])
    assert list(store.list("")) == ["a/10", "a/2", "b/1"]


@pytest.mark.parametrize("key", ["", "/abs/key", "a/../b", "a//b", "a/", "a\\b", ".hidden/x"])
def test_invalid_keys_are_rejected(store, key):
    with pytest.raises(StorageError):
        store.put(key, b"x")
    with pytest.raises(StorageError):
        store.get(key)
    with pytest.raises(StorageError):
        store.exists(key)


# -- the S3 adapter --------------------------------------------------------------------------


def test_put_request_payload():
    assert put_object_request("bkt", "a/part-0.parquet", b"x", if_absent=True) == {
        "Bucket": "bkt",
        "Key": "a/part-0.parquet",
        "Body": b"x",
        "ContentType": "application/vnd.apache.parquet",
        "IfNoneMatch": "*",
    }
    plain = put_object_request("bkt", "a/b", b"x", if_absent=False)
    assert "IfNoneMatch" not in plain
    assert plain["ContentType"] == "application/octet-stream"


def test_moto_answers_a_conditional_create_of_an_existing_key_with_412(s3_client, bucket):
    """What the adapter relies on: S3 (and moto) refuse If-None-Match: * with 412."""
    s3_client.put_object(Bucket=bucket, Key=KEY, Body=b"a")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        s3_client.put_object(Bucket=bucket, Key=KEY, Body=b"b", IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_objects_are_stored_under_the_key_with_a_content_type(s3_client, bucket):
    S3ObjectStore(bucket, client=s3_client).put(KEY, b"PAR1")
    head = s3_client.head_object(Bucket=bucket, Key=KEY)
    assert head["ContentType"] == "application/vnd.apache.parquet"
    assert head["ContentLength"] == 4


def test_listing_skips_folder_markers(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="a/", Body=b"")
    s3_client.put_object(Bucket=bucket, Key="a/.hidden", Body=b"")
    s3_client.put_object(Bucket=bucket, Key="a/b", Body=b"x")
    assert list(S3ObjectStore(bucket, client=s3_client).list("a/")) == ["a/b"]


def test_default_client_comes_from_the_factory(bucket, aws_environment):
    store = S3ObjectStore(bucket)
    assert store.client.meta.endpoint_url == aws_environment
    store.put(KEY, b"x")
    assert store.get(KEY) == b"x"


@pytest.mark.parametrize("bucket_name", ["", "a/b"])
def test_bad_bucket_names_are_configuration_errors(bucket_name):
    with pytest.raises(ConfigurationError):
        S3ObjectStore(bucket_name, client=object())


def test_missing_bucket_is_a_storage_error_with_the_aws_code(s3_client):
    store = S3ObjectStore("sweeplib-no-such-bucket", client=s3_client)
    for call in (lambda: store.get(KEY), lambda: store.put(KEY, b"x"), lambda: store.list("")):
        with pytest.raises(StorageError) as info:
            call()
        assert not isinstance(info.value, ObjectNotFound)
        assert "NoSuchBucket" in info.value.reason


def test_unreachable_endpoint_is_a_storage_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")  # nothing listens there
    no_retries = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=1)
    store = S3ObjectStore("bkt", client=aws.client("s3", config=no_retries))
    with pytest.raises(StorageError, match="EndpointConnectionError"):
        store.put(KEY, b"x")
    with pytest.raises(StorageError, match="EndpointConnectionError"):
        store.exists(KEY)


class ConflictingS3:
    """The moto S3 client, except that the first ``conflicts`` PutObject calls are
    answered 409 ConditionalRequestConflict (a concurrent write was in progress)."""

    def __init__(self, client, conflicts: int) -> None:
        self._client = client
        self.conflicts = conflicts
        self.put_calls = 0

    def put_object(self, **kwargs):
        self.put_calls += 1
        if self.put_calls <= self.conflicts:
            error = {
                "Error": {"Code": "ConditionalRequestConflict", "Message": "try again"},
                "ResponseMetadata": {"HTTPStatusCode": 409},
            }
            raise botocore.exceptions.ClientError(error, "PutObject")
        return self._client.put_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_conditional_put_conflict_is_retried(s3_client, bucket):
    client = ConflictingS3(s3_client, conflicts=2)
    delays: list[float] = []
    store = S3ObjectStore(bucket, client=client, sleep=delays.append)
    store.put(KEY, b"body", if_absent=True)
    assert store.get(KEY) == b"body"
    assert client.put_calls == 3
    assert delays == [0.05, 0.1]


def test_persistent_conflict_ends_as_storage_error(s3_client, bucket):
    client = ConflictingS3(s3_client, conflicts=100)
    store = S3ObjectStore(bucket, client=client, sleep=lambda _: None)
    with pytest.raises(StorageError, match="ConditionalRequestConflict") as info:
        store.put(KEY, b"body", if_absent=True)
    assert not isinstance(info.value, PreconditionFailed)
    assert client.put_calls == CONFLICT_ATTEMPTS
    assert not store.exists(KEY)


def test_412_after_a_conflict_is_precondition_failed(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key=KEY, Body=b"winner")
    store = S3ObjectStore(bucket, client=ConflictingS3(s3_client, 1), sleep=lambda _: None)
    with pytest.raises(PreconditionFailed):
        store.put(KEY, b"loser", if_absent=True)
    assert store.get(KEY) == b"winner"


def test_no_request_can_leave_loopback():
    """The conftest guard: a client built with a real AWS endpoint fails before sending."""
    real = boto3.Session().client(
        "s3",
        endpoint_url="https://s3.us-east-1.amazonaws.com",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(RuntimeError, match="may not leave 127"):
        real.list_buckets()
