"""``S3ObjectStore``: the :class:`~sweeplib.storage.store.ObjectStore` port over one S3 bucket.

Object key = store key (the keys already carry the ``serverless-sweeps/outcomes`` prefix).
Each method makes one kind of SDK call and translates its errors into the sweeplib tree:

=============================  ===========================================================
S3 answer                      raised
=============================  ===========================================================
412 ``PreconditionFailed``     :class:`~sweeplib.errors.PreconditionFailed` (``if_absent``)
409 ``ConditionalRequest…``    retried :data:`CONFLICT_ATTEMPTS` times, then ``StorageError``
404 ``NoSuchKey`` (get)        :class:`~sweeplib.errors.ObjectNotFound`
404 (head)                     ``exists`` returns ``False``
anything else                  :class:`~sweeplib.errors.StorageError`, AWS code in ``reason``
=============================  ===========================================================

Conditional creates use ``PutObject`` with ``If-None-Match: *``, which S3 has honoured since
August 2024: of several concurrent creates of one key exactly one succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

from sweeplib import aws
from sweeplib.errors import ConfigurationError, ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage.store import check_key, check_prefix

__all__ = ["CONFLICT_ATTEMPTS", "S3ObjectStore", "put_object_request"]

#: Attempts of a conditional put that S3 answers with 409 ConditionalRequestConflict
#: (another write to the key was in progress).
CONFLICT_ATTEMPTS = 4
_CONFLICT_DELAY_S = 0.05

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
_BINARY_CONTENT_TYPE = "application/octet-stream"


def put_object_request(bucket: str, key: str, body: bytes, *, if_absent: bool) -> dict[str, Any]:
    """The keyword arguments of the ``PutObject`` call that stores ``body`` under ``key``.

    ``if_absent`` adds ``IfNoneMatch="*"`` (a conditional create).
    """
    request: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "Body": bytes(body),
        "ContentType": _PARQUET_CONTENT_TYPE if key.endswith(".parquet") else _BINARY_CONTENT_TYPE,
    }
    if if_absent:
        request["IfNoneMatch"] = "*"
    return request


def _error_code(error: Any) -> str:
    """The AWS error code of a ``ClientError`` (``"NoSuchKey"``, ``"412"``…)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def _http_status(error: Any) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _describe(error: Exception) -> str:
    """``"<Code>: <message>"`` for a ``ClientError``, the class name and text otherwise."""
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or _http_status(error) or "Unknown"
        message = details.get("Message") or str(error)
        return f"{code}: {message}"
    return f"{type(error).__name__}: {error}"


def _is_not_found(error: Any) -> bool:
    """A 404 about the key (a missing bucket is a configuration error, not a missing key;
    HEAD answers carry no body, so there the two cannot be told apart)."""
    code = _error_code(error)
    if code == "NoSuchBucket":
        return False
    return code in _NOT_FOUND_CODES or _http_status(error) == 404


class S3ObjectStore:
    """``ObjectStore`` over an S3 bucket.

    Parameters
    ----------
    bucket : str
        The bucket name.
    client : botocore.client.BaseClient, optional
        An S3 client; by default one from :func:`sweeplib.aws.client`.
    session : boto3.Session, optional
        Used to create the client when ``client`` is not given.
    sleep : callable, optional
        Waits between retries of a conflicting conditional put (tests pass a fake).

    Raises
    ------
    ConfigurationError
        If ``bucket`` is empty or contains a ``/``.
    """

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        session: boto3.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(bucket, str) or not bucket or "/" in bucket:
            raise ConfigurationError("bucket", f"must be an S3 bucket name, got {bucket!r}")
        self._bucket = bucket
        self._client = aws.client("s3", session=session) if client is None else client
        self._sleep = sleep

    @classmethod
    def open(
        cls, bucket: str, *, profile: str | None = None, region: str | None = None
    ) -> S3ObjectStore:
        """The store of ``bucket`` with the credentials of a named profile and region (the
        CLI's ``--profile``/``--region``; ``None``: the default chain)."""
        return cls(bucket, session=aws.aws_session(profile=profile, region=region))

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self._bucket

    @property
    def client(self) -> Any:
        """The S3 client in use."""
        return self._client

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self._bucket!r})"

    def put(self, key: str, body: bytes, *, if_absent: bool = False) -> None:
        """See :meth:`sweeplib.storage.store.ObjectStore.put`.

        Raises
        ------
        PreconditionFailed
            ``if_absent`` and the key exists (HTTP 412).
        StorageError
            Any other failure, including a 409 ConditionalRequestConflict that persisted
            through :data:`CONFLICT_ATTEMPTS` attempts.
        """
        request = put_object_request(self._bucket, check_key(key), body, if_absent=if_absent)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                self._client.put_object(**request)
                return
            except botocore.exceptions.ClientError as error:
                code, status = _error_code(error), _http_status(error)
                if code == "PreconditionFailed" or status == 412:
                    raise PreconditionFailed(key) from None
                conflict = code == "ConditionalRequestConflict" or status == 409
                if not conflict or attempt == CONFLICT_ATTEMPTS:
                    raise StorageError(key, f"put failed: {_describe(error)}") from error
            except botocore.exceptions.BotoCoreError as error:
                raise StorageError(key, f"put failed: {_describe(error)}") from error
            self._sleep(_CONFLICT_DELAY_S * 2.0 ** (attempt - 1))

    def get(self, key: str) -> bytes:
        """See :meth:`sweeplib.storage.store.ObjectStore.get`."""
        check_key(key)
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            data = response["Body"].read()
        except botocore.exceptions.ClientError as error:
            if _is_not_found(error):
                raise ObjectNotFound(key) from None
            raise StorageError(key, f"get failed: {_describe(error)}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise StorageError(key, f"get failed: {_describe(error)}") from error
        return bytes(data)

    def exists(self, key: str) -> bool:
        """See :meth:`sweeplib.storage.store.ObjectStore.exists`.

        A ``HeadObject`` call. Without ``s3:ListBucket`` permission S3 answers a missing
        key with 403, which raises ``StorageError`` rather than claiming absence.
        """
        check_key(key)
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except botocore.exceptions.ClientError as error:
            if _is_not_found(error):
                return False
            raise StorageError(key, f"head failed: {_describe(error)}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise StorageError(key, f"head failed: {_describe(error)}") from error
        return True

    def list(self, prefix: str) -> Iterator[str]:
        """See :meth:`sweeplib.storage.store.ObjectStore.list`.

        Pages through ``ListObjectsV2`` (1,000 keys a page) when called, so errors are
        raised here rather than mid-iteration. Keys that are not valid store keys (e.g.
        ``folder/`` markers made by the S3 console) are skipped, as the local store skips
        dot-files.
        """
        check_prefix(prefix)
        keys: list[str] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", ()))
        except botocore.exceptions.ClientError as error:
            raise StorageError(prefix, f"list failed: {_describe(error)}") from error
        except botocore.exceptions.BotoCoreError as error:
            raise StorageError(prefix, f"list failed: {_describe(error)}") from error
        return iter(sorted(key for key in keys if _is_store_key(key)))

    def collect(self, keys: Sequence[str]) -> None:
        """See :meth:`sweeplib.storage.store.SupportsCollect.collect`: each object gets the
        tag :data:`COLLECT_TAG` ``= "true"``; the bucket's lifecycle rule expires tagged
        objects (infra/terraform, ADR 0022). One ``PutObjectTagging`` call per key.

        Raises
        ------
        StorageError
            A call failed (a key that no longer exists is skipped).
        """
        tagging = {"TagSet": [{"Key": COLLECT_TAG, "Value": "true"}]}
        for key in keys:
            try:
                self._client.put_object_tagging(
                    Bucket=self._bucket, Key=check_key(key), Tagging=tagging
                )
            except botocore.exceptions.ClientError as error:
                if _is_not_found(error):
                    continue
                raise StorageError(key, f"tagging failed: {_describe(error)}") from error
            except botocore.exceptions.BotoCoreError as error:
                raise StorageError(key, f"tagging failed: {_describe(error)}") from error


#: Tag of objects given up (:meth:`S3ObjectStore.collect`); the lifecycle rule's filter.
COLLECT_TAG = "sweeplib-collect"


def _is_store_key(key: str) -> bool:
    try:
        check_key(key)
    except StorageError:
        return False
    return True
