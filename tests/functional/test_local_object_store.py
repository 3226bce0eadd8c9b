"""The ObjectStore contract against a local folder, and what only the local store does:
files under the root, temporary files that never show and never stay, fsync before
publishing, and conditional creates by hard link that hold across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sweeplib.errors import ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage.local import LocalObjectStore, is_temporary_name
from tests.contracts.object_store import KEY, ObjectStoreContract


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


class TestLocalObjectStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return LocalObjectStore(tmp_path / "data")

    def test_a_reader_never_sees_a_partial_object(self, store):
        super().test_a_reader_never_sees_a_partial_object(store)
        assert all_files(store.root) == [KEY]  # no temporary file stays behind


# -- the local store -------------------------------------------------------------------------


def test_local_keys_map_to_files_under_root(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put(KEY, b"body")
    assert (tmp_path / KEY).read_bytes() == b"body"
    assert store.path(KEY) == tmp_path / KEY
    assert all_files(tmp_path) == [KEY]


def test_local_list_skips_temporary_and_hidden_files(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put(KEY, b"body")
    directory = (tmp_path / KEY).parent
    (directory / ".part-0.parquet.tmp-deadbeef").write_bytes(b"partial")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "part-0.parquet").write_bytes(b"x")
    assert list(store.list("")) == [KEY]
    assert is_temporary_name(".part-0.parquet.tmp-deadbeef")
    assert not is_temporary_name("part-0.parquet")


def test_local_get_of_a_directory_is_not_found(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put("a/b/c", b"x")
    with pytest.raises(ObjectNotFound):
        store.get("a/b")
    assert not store.exists("a/b")


def test_local_store_on_missing_root_lists_nothing(tmp_path):
    store = LocalObjectStore(tmp_path / "does-not-exist")
    assert list(store.list("")) == []
    assert not store.exists(KEY)


def _failing_write(monkeypatch):
    """Make os.write write half of the first chunk, then fail (disk full)."""
    real_write = os.write

    def half_then_fail(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_fail)


@pytest.mark.parametrize("if_absent", [False, True])
def test_failed_write_leaves_no_object_and_no_temp_file(tmp_path, monkeypatch, if_absent):
    store = LocalObjectStore(tmp_path)
    _failing_write(monkeypatch)
    with pytest.raises(StorageError, match="No space left"):
        store.put(KEY, b"x" * 10_000, if_absent=if_absent)
    monkeypatch.undo()
    assert not store.exists(KEY)
    assert all_files(tmp_path) == []


def test_failed_overwrite_keeps_the_previous_object(tmp_path, monkeypatch):
    store = LocalObjectStore(tmp_path)
    store.put(KEY, b"complete old object")
    _failing_write(monkeypatch)
    with pytest.raises(StorageError):
        store.put(KEY, b"new" * 1000)
    monkeypatch.undo()
    assert store.get(KEY) == b"complete old object"
    assert all_files(tmp_path) == [KEY]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_before_publishing_cleans_up(tmp_path, monkeypatch, step):
    store = LocalObjectStore(tmp_path)

    def boom(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, step, boom)
    with pytest.raises(StorageError, match="Input/output error"):
        store.put(KEY, b"body")
    monkeypatch.undo()
    assert all_files(tmp_path) == []


def test_body_is_fsynced_before_it_is_published(tmp_path, monkeypatch):
    store = LocalObjectStore(tmp_path)
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync")
        real_fsync(fd)

    def replace(src, dst):
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store.put(KEY, b"body")
    assert events[:2] == ["fsync", "replace"]


def test_if_absent_refusal_leaves_no_temp_file(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put(KEY, b"first")
    with pytest.raises(PreconditionFailed):
        store.put(KEY, b"second", if_absent=True)
    assert all_files(tmp_path) == [KEY]


_CONTENDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sweeplib.errors import PreconditionFailed
    from sweeplib.storage.local import LocalObjectStore
    root, key, name, go = sys.argv[1:]
    while not Path(go).exists():
        time.sleep(0.001)
    try:
        LocalObjectStore(root).put(key, name.encode() * 100_000, if_absent=True)
    except PreconditionFailed:
        print("refused")
    else:
        print("won")
    """
)


def test_concurrent_if_absent_puts_from_processes_have_one_winner(tmp_path):
    root, go = tmp_path / "data", tmp_path / "go"
    names = [f"p{i}" for i in range(6)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, str(root), KEY, name, str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    go.touch()
    results = {
        name: p.communicate(timeout=120)[0].strip()
        for name, p in zip(names, processes, strict=True)
    }
    assert sorted(results.values()) == ["refused"] * 5 + ["won"]
    winner = next(name for name, result in results.items() if result == "won")
    store = LocalObjectStore(root)
    assert store.get(KEY) == winner.encode() * 100_000
    assert all_files(root) == [KEY]


def test_local_rejects_keys_escaping_root(tmp_path):
    store = LocalObjectStore(tmp_path / "root")
    for key in ["../outside", "/etc/passwd", "a/../../x"]:
        with pytest.raises(StorageError):
            store.put(key, b"x")
    assert not (tmp_path / "outside").exists()


def test_stale_temporary_files_of_killed_writes_are_removed(tmp_path):
    # Issue 15, item 10: a process killed mid-write leaves `.name.tmp-…`; nothing else
    # ever removes it.
    import time

    store = LocalObjectStore(tmp_path)
    store.put("a/b/part-0.parquet", b"kept")
    folder = tmp_path / "a" / "b"
    stale, fresh = folder / ".part-0.parquet.tmp-0123456789abcdef", folder / ".x.tmp-fedcba"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert store.remove_stale_temporaries() == 1
    assert not stale.exists() and fresh.exists()
    assert store.get("a/b/part-0.parquet") == b"kept"
    assert store.remove_stale_temporaries(older_than_s=0) == 1 and not fresh.exists()
