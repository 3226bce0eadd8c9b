"""ObjectStore contract (memory twin and local folder) and the local store's atomic writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from sweeplib.errors import ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage import keys
from sweeplib.storage.local import LocalObjectStore, is_temporary_name
from sweeplib.storage.store import MemoryObjectStore, ObjectStore

KEY = keys.RunAddress.of("2026-02-14", "run-1").shard_outcome_key("success", 0)


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "memory":
        return MemoryObjectStore()
    return LocalObjectStore(tmp_path / "data")


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- the contract, for both stores ----------------------------------------------------------


def test_store_implements_the_port(store):
    assert isinstance(store, ObjectStore)


def test_put_then_get_and_exists(store):
    assert not store.exists(KEY)
    store.put(KEY, b"body")
    assert store.exists(KEY)
    assert store.get(KEY) == b"body"


def test_put_overwrites(store):
    store.put(KEY, b"old")
    store.put(KEY, b"new")
    assert store.get(KEY) == b"new"


def test_get_missing_raises_object_not_found(store):
    with pytest.raises(ObjectNotFound) as info:
        store.get(KEY)
    assert info.value.key == KEY


def test_if_absent_creates_when_missing(store):
    store.put(KEY, b"first", if_absent=True)
    assert store.get(KEY) == b"first"


def test_if_absent_refuses_existing_key_and_keeps_the_object(store):
    store.put(KEY, b"first")
    with pytest.raises(PreconditionFailed) as info:
        store.put(KEY, b"second", if_absent=True)
    assert info.value.key == KEY
    assert store.get(KEY) == b"first"


def test_list_is_sorted_and_by_string_prefix(store):
    for key in ["a/b/2", "a/b/10", "a/bc/1", "a/c", "b/1"]:
        store.put(key, key.encode())
    assert list(store.list("a/b/")) == ["a/b/10", "a/b/2"]
    # A plain string prefix, as in S3: "a/b" also matches "a/bc/…".
    assert list(store.list("a/b")) == ["a/b/10", "a/b/2", "a/bc/1"]
    assert list(store.list("")) == ["a/b/10", "a/b/2", "a/bc/1", "a/c", "b/1"]
    assert list(store.list("a/c")) == ["a/c"]
    assert list(store.list("zzz/")) == []


def test_list_finds_a_runs_outcomes_by_prefix(store):
    success = keys.RunAddress.of("2026-02-14", "r1").shard_outcome_key("success", 0)
    failure = keys.RunAddress.of("2026-02-14", "r1").shard_outcome_key("failure", 1)
    other_run = keys.RunAddress.of("2026-02-14", "r10").shard_outcome_key("success", 0)
    metrics = keys.RunAddress.of("2026-02-14", "r1").point_key("shard_metrics", "success", 0, 0)
    for key in (success, failure, other_run, metrics):
        store.put(key, b"x")
    listed = list(
        store.list(keys.RunAddress.of("2026-02-14", "r1").dataset_prefix("shard_outcomes"))
    )
    assert listed == [failure, success]
    assert [keys.parse_key(k).shard_id for k in listed] == [1, 0]


@pytest.mark.parametrize(
    "key", ["", "/abs/key", "a/../b", "../x", "a//b", "a/", "a\\b", ".hidden/x", "a/.tmp", "a/./b"]
)
def test_invalid_keys_are_rejected(store, key):
    with pytest.raises(StorageError):
        store.put(key, b"x")
    with pytest.raises(StorageError):
        store.get(key)


def test_concurrent_if_absent_puts_from_threads_have_one_winner(store):
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(8)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            store.put(KEY, f"writer-{i}".encode(), if_absent=True)
            outcomes[i] = "won"
        except PreconditionFailed:
            outcomes[i] = "refused"

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, outcome in outcomes.items() if outcome == "won"]
    assert len(outcomes) == 8
    assert len(winners) == 1
    assert store.get(KEY) == f"writer-{winners[0]}".encode()


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


def test_reader_never_sees_a_partial_object(tmp_path):
    """While a writer keeps replacing a large object, every read is one complete version."""
    store = LocalObjectStore(tmp_path)
    versions = [bytes([i]) * 2_000_000 for i in range(1, 5)]
    store.put(KEY, versions[0])
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.put(KEY, versions[i % len(versions)])
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(100):
            assert store.get(KEY) in versions
    finally:
        stop.set()
        thread.join()
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
