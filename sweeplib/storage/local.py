"""``LocalObjectStore``: the object store as a local folder with exactly the S3 key layout.

Writes are atomic. ``put`` writes the body to a temporary sibling file named
``.{name}.tmp-{random}`` (a dot-file, so neither :meth:`LocalObjectStore.list` nor a
``**/part-0.parquet`` glob ever sees it), fsyncs it, then

* ``os.replace(tmp, final)`` for a plain put (readers see the old or the new object), or
* ``os.link(tmp, final)`` for ``if_absent=True``: the link fails if ``final`` exists,
  so of several concurrent conditional creates (threads or processes) exactly one
  wins; the others raise ``PreconditionFailed``.

The temporary file is removed on every path, including errors — but not when the
process is killed mid-write; :meth:`LocalObjectStore.remove_stale_temporaries` removes
those (``sweep run`` calls it when it opens the folder).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from sweeplib.errors import ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage.store import check_key, check_prefix

__all__ = ["LocalObjectStore", "is_temporary_name"]

_TMP_MARK = ".tmp-"


def is_temporary_name(name: str) -> bool:
    """Whether a file name is one of ``put``'s temporary files (never an object)."""
    return name.startswith(".") and _TMP_MARK in name


def _write_all(fd: int, body: bytes) -> None:
    view = memoryview(body)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    """Persist a rename/link in ``directory`` (best effort; not possible on every OS)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    """``ObjectStore`` over a local folder: key ``a/b/part-0.parquet`` is file
    ``{root}/a/b/part-0.parquet``.

    Parameters
    ----------
    root
        The folder (created on first write). Keys that would escape it (absolute,
        ``..``, backslashes) are rejected with ``StorageError``.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(os.path.abspath(root))

    @property
    def root(self) -> Path:
        """The absolute root folder."""
        return self._root

    def path(self, key: str) -> Path:
        """The file that holds ``key`` (whether or not it exists)."""
        check_key(key)
        path = self._root.joinpath(*key.split("/"))
        if os.path.commonpath([self._root, os.path.abspath(path)]) != str(self._root):
            raise StorageError(key, "key escapes the store root")
        return path

    def put(self, key: str, body: bytes, *, if_absent: bool = False) -> None:
        """See :meth:`sweeplib.storage.store.ObjectStore.put`."""
        final = self.path(key)
        tmp = final.with_name(f".{final.name}{_TMP_MARK}{secrets.token_hex(8)}")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
            try:
                _write_all(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            if if_absent:
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    raise PreconditionFailed(key) from None
            else:
                os.replace(tmp, final)
            _fsync_dir(final.parent)
        except OSError as error:
            raise StorageError(key, f"write failed: {error}") from error
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def remove_stale_temporaries(self, *, older_than_s: float = 3600.0) -> int:
        """Remove ``put``'s temporary files older than ``older_than_s`` (left behind by
        processes killed mid-write); returns how many. Younger ones may belong to a
        write in progress and are kept.
        """
        if not self._root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for dirpath, _dirnames, filenames in os.walk(self._root):
            for name in filenames:
                if not is_temporary_name(name):
                    continue
                path = os.path.join(dirpath, name)
                with contextlib.suppress(OSError):
                    if os.stat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
        return removed

    def get(self, key: str) -> bytes:
        """See :meth:`sweeplib.storage.store.ObjectStore.get`."""
        path = self.path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as error:
            raise StorageError(key, f"read failed: {error}") from error

    def exists(self, key: str) -> bool:
        """See :meth:`sweeplib.storage.store.ObjectStore.exists`."""
        return self.path(key).is_file()

    def collect(self, keys: Sequence[str]) -> None:
        """See :meth:`sweeplib.storage.store.SupportsCollect.collect`: deleted at once
        (empty folders stay)."""
        for key in keys:
            try:
                self.path(key).unlink(missing_ok=True)
            except OSError as error:
                raise StorageError(key, f"delete failed: {error}") from error

    def list(self, prefix: str) -> Iterator[str]:
        """See :meth:`sweeplib.storage.store.ObjectStore.list`.

        The folder is walked when called; temporary files and dot-entries are skipped.
        """
        check_prefix(prefix)
        head = prefix.rpartition("/")[0]
        start = self._root.joinpath(*head.split("/")) if head else self._root
        if not start.is_dir():
            return iter(())
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            rel = os.path.relpath(dirpath, self._root)
            base = "" if rel == os.curdir else rel.replace(os.sep, "/") + "/"
            dirnames[:] = [
                d
                for d in dirnames
                if not d.startswith(".")
                and (f"{base}{d}/".startswith(prefix) or prefix.startswith(f"{base}{d}/"))
            ]
            keys.extend(
                base + name
                for name in filenames
                if not name.startswith(".") and (base + name).startswith(prefix)
            )
        keys.sort()
        return iter(keys)
