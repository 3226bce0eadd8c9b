"""The ``ObjectStore`` contract (:class:`sweeplib.storage.store.ObjectStore`), run against
every store: put (plain, or a conditional create that raises ``PreconditionFailed``), get
(``ObjectNotFound``), exists, listing by plain string prefix in sorted order, key
validation (``StorageError``), atomic replacement, and exactly one winner among
concurrent conditional creates.

An adapter's test class subclasses :class:`ObjectStoreContract` and provides a ``store``
fixture: a fresh, empty store.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sweeplib.errors import ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore

KEY = keys.RunAddress.of("2026-02-14", "run-1").shard_outcome_key("success", 0)
#: Where the thousand-and-one keys of the listing test live.
BIG_RUN_PREFIX = keys.RunAddress.of("2026-02-14", "big").dataset_prefix("shard_outcomes")

INVALID_KEYS = [
    "",
    "/abs/key",
    "a/../b",
    "../x",
    "a//b",
    "a/",
    "a\\b",
    ".hidden/x",
    "a/.tmp",
    "a/./b",
]


def put_many(store: ObjectStore, keys_: list[str]) -> None:
    """Put every key (its own name as body) from 16 threads."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: store.put(k, k.encode()), keys_))


class ObjectStoreContract:
    """What every ``ObjectStore`` does. Subclasses provide the ``store`` fixture."""

    #: Size of the objects a reader reads while a writer keeps replacing them, and how
    #: many reads it makes (an adapter over the network may lower both).
    large_object_bytes = 2_000_000
    reads_during_replacement = 100

    # -- put, get, exists ----------------------------------------------------------------

    def test_store_implements_the_port(self, store):
        assert isinstance(store, ObjectStore)

    def test_put_then_get_and_exists(self, store):
        body = bytes(range(256)) * 40
        assert not store.exists(KEY)
        store.put(KEY, body)
        assert store.exists(KEY)
        assert store.get(KEY) == body

    def test_put_overwrites(self, store):
        store.put(KEY, b"old")
        store.put(KEY, b"new")
        assert store.get(KEY) == b"new"

    def test_collect_gives_up_only_the_keys_named(self, store):
        from sweeplib.storage.store import SupportsCollect

        assert isinstance(store, SupportsCollect)
        other = KEY.replace("part-0", "other").replace(".parquet", "") + "/part-0.parquet"
        store.put(KEY, b"old generation")
        store.put(other, b"kept")
        store.collect([KEY, KEY.replace("=", "=missing", 1)])  # a missing key is no error
        assert store.get(other) == b"kept"
        if type(store).__name__ != "S3ObjectStore":  # S3: tagged; the lifecycle rule expires it
            assert not store.exists(KEY)

    def test_empty_body_round_trips(self, store):
        store.put(KEY, b"")
        assert store.exists(KEY)
        assert store.get(KEY) == b""

    def test_get_missing_raises_object_not_found(self, store):
        with pytest.raises(ObjectNotFound) as info:
            store.get(KEY)
        assert info.value.key == KEY
        assert not store.exists(KEY)

    # -- conditional creates -------------------------------------------------------------

    def test_if_absent_creates_when_missing(self, store):
        store.put(KEY, b"first", if_absent=True)
        assert store.get(KEY) == b"first"

    def test_if_absent_refuses_existing_key_and_keeps_the_object(self, store):
        store.put(KEY, b"original")
        with pytest.raises(PreconditionFailed) as info:
            store.put(KEY, b"intruder", if_absent=True)
        assert info.value.key == KEY
        assert store.get(KEY) == b"original"

    def test_concurrent_if_absent_puts_have_exactly_one_winner(self, store):
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

    # -- atomic replacement --------------------------------------------------------------

    def test_a_reader_never_sees_a_partial_object(self, store):
        """While a writer keeps replacing a large object, every read is one complete version."""
        versions = [bytes([i]) * self.large_object_bytes for i in range(1, 5)]
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
            for _ in range(self.reads_during_replacement):
                assert store.get(KEY) in versions
        finally:
            stop.set()
            thread.join()

    # -- listing -------------------------------------------------------------------------

    def test_list_is_sorted_and_by_string_prefix(self, store):
        for key in ["a/b/2", "a/b/10", "a/bc/1", "a/c", "b/1"]:
            store.put(key, key.encode())
        assert list(store.list("a/b/")) == ["a/b/10", "a/b/2"]
        # A plain string prefix, as in S3: "a/b" also matches "a/bc/…".
        assert list(store.list("a/b")) == ["a/b/10", "a/b/2", "a/bc/1"]
        assert list(store.list("")) == ["a/b/10", "a/b/2", "a/bc/1", "a/c", "b/1"]
        assert list(store.list("a/c")) == ["a/c"]
        assert list(store.list("zzz/")) == []

    def test_listing_everything_with_the_empty_prefix(self, store):
        put_many(store, ["b/1", "a/2", "a/10"])
        assert list(store.list("")) == ["a/10", "a/2", "b/1"]

    def test_list_finds_a_runs_outcomes_by_prefix(self, store):
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

    def test_listing_respects_run_prefix_boundaries(self, store):
        r1 = [
            keys.RunAddress.of("2026-02-14", "r1").shard_outcome_key("success", s)
            for s in (0, 2, 10)
        ]
        r10 = [
            keys.RunAddress.of("2026-02-14", "r10").shard_outcome_key("success", s) for s in (0, 1)
        ]
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

    @pytest.mark.slow  # ~10 s against moto (about 9 ms a PutObject, serialised by the GIL)
    def test_listing_more_than_a_thousand_keys_is_complete_and_sorted(self, store):
        names = [
            keys.RunAddress.of("2026-02-14", "big").shard_outcome_key("success", s)
            for s in range(1_001)
        ]
        put_many(store, names)
        listed = list(store.list(BIG_RUN_PREFIX))
        assert listed == sorted(names)
        assert len(listed) == 1_001

    # -- keys ----------------------------------------------------------------------------

    @pytest.mark.parametrize("key", INVALID_KEYS)
    def test_invalid_keys_are_rejected(self, store, key):
        with pytest.raises(StorageError):
            store.put(key, b"x")
        with pytest.raises(StorageError):
            store.get(key)
        with pytest.raises(StorageError):
            store.exists(key)
