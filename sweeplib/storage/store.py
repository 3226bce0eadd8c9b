"""The ``ObjectStore`` port and its in-memory twin.

The port is the subset of S3 the project needs: put (optionally create-only, like
``If-None-Match: *``), get, exists, and list by key prefix in sorted order. Keys are
``/``-separated relative paths as built by :mod:`sweeplib.storage.keys`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from sweeplib.errors import ObjectNotFound, PreconditionFailed, StorageError

__all__ = ["MemoryObjectStore", "ObjectStore", "SupportsCollect", "check_key", "check_prefix"]


@runtime_checkable
class ObjectStore(Protocol):
    """Where outcome objects live: a local folder, memory, or S3."""

    def put(self, key: str, body: bytes, *, if_absent: bool = False) -> None:
        """Store ``body`` under ``key``, atomically (readers see the old object or the new one).

        With ``if_absent=True`` the write is a conditional create: it raises
        ``PreconditionFailed`` if ``key`` already exists, and of several concurrent
        conditional puts exactly one succeeds.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the object's bytes; ``ObjectNotFound`` if there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """Yield the keys starting with ``prefix`` (a plain string prefix), sorted."""
        ...


@runtime_checkable
class SupportsCollect(Protocol):
    """A store that can give objects up: used for run-level table generations nobody
    reads any more (ADR 0022). Not part of ``ObjectStore``: outcome datasets are never
    given up. Local and memory stores delete at once; the S3 store tags the objects and
    the bucket's lifecycle rule expires them (the function's role has no s3:Delete*)."""

    def collect(self, keys: Sequence[str]) -> None:
        """Give ``keys`` up; a key that does not exist is not an error."""
        ...


def check_key(key: str) -> str:
    """Validate an object key and return it.

    A key is a relative ``/``-separated path whose segments are non-empty, do not
    start with ``.`` (so ``.``/``..`` and temporary files are impossible) and hold
    no backslash or NUL.

    Raises
    ------
    StorageError
        If the key is not of that form.
    """
    if not isinstance(key, str) or not key:
        raise StorageError(str(key), "empty or non-string key")
    if "\\" in key or "\x00" in key:
        raise StorageError(key, "key must not contain a backslash or NUL")
    for segment in key.split("/"):
        if not segment:
            raise StorageError(key, "key must be relative with no empty segments")
        if segment.startswith("."):
            raise StorageError(key, f"key segment must not start with '.': {segment!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Validate a listing prefix (``""`` lists everything); same rules as keys, but a
    trailing ``/`` is allowed.

    Raises
    ------
    StorageError
        If the prefix could not be the start of a valid key.
    """
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


class MemoryObjectStore:
    """In-memory ``ObjectStore`` for tests; thread-safe, with the same key rules as the
    local store."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes, *, if_absent: bool = False) -> None:
        """See :meth:`ObjectStore.put`."""
        check_key(key)
        data = bytes(body)
        with self._lock:
            if if_absent and key in self._objects:
                raise PreconditionFailed(key)
            self._objects[key] = data

    def get(self, key: str) -> bytes:
        """See :meth:`ObjectStore.get`."""
        check_key(key)
        with self._lock:
            try:
                return self._objects[key]
            except KeyError:
                raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        """See :meth:`ObjectStore.exists`."""
        check_key(key)
        with self._lock:
            return key in self._objects

    def list(self, prefix: str) -> Iterator[str]:
        """See :meth:`ObjectStore.list` (a snapshot taken when called)."""
        check_prefix(prefix)
        with self._lock:
            keys = sorted(k for k in self._objects if k.startswith(prefix))
        return iter(keys)

    def collect(self, keys: Sequence[str]) -> None:
        """See :meth:`SupportsCollect.collect` (deleted at once)."""
        with self._lock:
            for key in keys:
                self._objects.pop(check_key(key), None)
