"""The ObjectStore contract against moto's S3 over HTTP, then what only the S3 adapter
does: the PutObject payload, error mapping, retries of 409 conflicts."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest

from sweeplib import aws
from sweeplib.errors import ConfigurationError, ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage.s3 import CONFLICT_ATTEMPTS, S3ObjectStore, put_object_request
from tests.contracts.object_store import BIG_RUN_PREFIX, KEY, ObjectStoreContract


class TestS3ObjectStore(ObjectStoreContract):
    # Every read is a GetObject over HTTP: smaller objects, fewer reads.
    large_object_bytes = 256 * 1024
    reads_during_replacement = 20

    @pytest.fixture
    def store(self, bucket, s3_client):
        """An S3 store over a fresh moto bucket."""
        return S3ObjectStore(bucket, client=s3_client)

    @pytest.mark.slow
    def test_listing_more_than_a_thousand_keys_is_complete_and_sorted(self, store):
        super().test_listing_more_than_a_thousand_keys_is_complete_and_sorted(store)
        # the listing really took more than one page
        first_page = store.client.list_objects_v2(Bucket=store.bucket, Prefix=BIG_RUN_PREFIX)
        assert first_page["IsTruncated"]
        assert len(first_page["Contents"]) == 1_000


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
