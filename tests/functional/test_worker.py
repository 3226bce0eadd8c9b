"""The shard worker through the real local store: datasets, commits, failures."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from sweeplib import worker
from sweeplib.contracts import parse_sweep_request
from sweeplib.errors import (
    InvalidShardMessage,
    SchemaMismatch,
    ShardFailed,
    StorageError,
)
from sweeplib.experiments import resolve_point
from sweeplib.planning import point_seed, point_values
from sweeplib.sim import ScenarioError, simulate
from sweeplib.status import run_status
from sweeplib.storage import LocalObjectStore, MemoryObjectStore, decode_table, keys
from sweeplib.storage.schemas import DATASET_SPECS
from sweeplib.submissions import claim_run
from sweeplib.worker import ERROR_CODES, execute_shard, execute_shard_body
from tests.factories import NOW, RUN_DATE, messages_of, request_body, submit_inline

from .conftest import files_under


def messages(**changes):
    return messages_of(request_body(**changes))


def test_every_dataset_is_written_under_its_key_with_its_schema(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    message = messages()[0]  # points 0 and 1
    result = execute_shard(message, store, NOW)
    assert result.status == "success" and result.points_processed == 2
    written = sorted(store.list(""))
    expected = set()
    for index in (0, 1):
        for dataset in ("shard_metrics", "trip_data", "snapshot_counts"):
            expected.add(
                keys.RunAddress.of(RUN_DATE, "fn-run").point_key(dataset, "success", 0, index)
            )
        expected.add(
            keys.RunAddress.of(RUN_DATE, "fn-run").point_key(
                "effective_parameters", "success", 0, index
            )
        )
    expected.add(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 0))
    assert set(written) == expected
    for key in written:
        parsed = keys.parse_key(key)
        table = decode_table(store.get(key))
        assert table.schema.equals(DATASET_SPECS[parsed.dataset].schema), key
    outcome = decode_table(
        store.get(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 0))
    )
    row = outcome.to_pylist()[0]
    assert row["status"] == "success" and row["points_processed"] == 2
    assert row["start_index"] == 0 and row["end_index_exclusive"] == 2
    assert row["event_time"] == "2026-02-14T10:30:00.000Z"
    assert row["result_key"] == keys.RunAddress.of(RUN_DATE, "fn-run").point_key(
        "shard_metrics", "success", 0, 0
    )
    assert row["error_code"] is None


def test_point_rows_equal_a_direct_simulation_of_the_point(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    message = messages()[1]
    execute_shard(message, store, NOW)
    index = message.start_index
    direct = simulate(resolve_point(point_values(message.dimensions, index), point_seed(11, index)))
    stored = decode_table(
        store.get(
            keys.RunAddress.of(RUN_DATE, "fn-run").point_key("shard_metrics", "success", 1, index)
        )
    ).to_pylist()[0]
    expected = {k: v for k, v in direct.metrics.items() if k != "total_drivers"}
    point = {"design_point": index, "replicate": 0, "point_seed": point_seed(11, index)}
    assert stored == {**expected, **point}
    parameters = decode_table(
        store.get(
            keys.RunAddress.of(RUN_DATE, "fn-run").point_key(
                "effective_parameters", "success", 1, index
            )
        )
    ).to_pylist()[0]
    document = json.loads(parameters["effective_parameters_json"])
    assert document["selected_dimensions"] == point_values(message.dimensions, index)
    assert document["resolved_scenario_parameters"]["seed"] == point_seed(11, index)


def test_a_committed_shard_is_skipped(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    message = messages()[0]
    execute_shard(message, store, NOW)
    before = files_under(tmp_path)
    again = execute_shard(message, store, NOW.replace(hour=11))
    assert again.status == "skipped" and again.points_processed == 0
    assert files_under(tmp_path) == before


def test_rerunning_an_uncommitted_shard_rewrites_identical_bytes(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    message = messages()[0]
    execute_shard(message, store, NOW)
    data_before = {k: v for k, v in files_under(tmp_path).items() if "shard_outcomes" not in k}
    (tmp_path / keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 0)).unlink()
    execute_shard(message, store, NOW)
    data_after = {k: v for k, v in files_under(tmp_path).items() if "shard_outcomes" not in k}
    assert data_after == data_before


def test_concurrent_duplicate_deliveries_commit_once_with_identical_bytes():
    store = MemoryObjectStore()
    message = messages()[2]
    results, errors = [], []

    def deliver():
        try:
            results.append(execute_shard(message, store, NOW))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    outcomes = list(store.list(keys.dataset_prefix("shard_outcomes")))
    assert outcomes == [keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 2)]
    assert sorted(r.status for r in results).count("success") >= 1
    reference = MemoryObjectStore()
    execute_shard(message, reference, NOW)
    for key in reference.list(""):
        if "shard_outcomes" not in key:
            assert store.get(key) == reference.get(key), key


def test_injected_failure_writes_a_failure_record_and_no_success(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    message = messages(failure_injection_shards=[1])[1]
    with pytest.raises(ShardFailed) as caught:
        execute_shard(message, store, NOW)
    assert caught.value.error_code == "injected_failure"
    assert not store.exists(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 1))
    row = decode_table(
        store.get(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("failure", 1))
    ).to_pylist()[0]
    assert row["status"] == "failure" and row["error_code"] == "injected_failure"
    assert row["error_message"] == "Injected shard failure for verification"
    assert row["points_processed"] is None and row["result_key"] is None
    assert list(store.list(keys.dataset_prefix("shard_metrics"))) == []  # nothing ran


def test_a_failure_record_never_hides_a_success(tmp_path: Path):
    """A duplicate delivery that started before the commit and then failed."""
    store = LocalObjectStore(tmp_path)
    submit_inline(store, request_body(), request_source="test")
    success_key = keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 0)
    committed = store.get(success_key)

    class LateDuplicate(LocalObjectStore):
        def exists(self, key):
            return False if key == success_key else super().exists(key)

        def put(self, key, body, *, if_absent=False):
            if "shard_outcomes" not in key:
                raise StorageError(key, "disk full")
            super().put(key, body, if_absent=if_absent)

    with pytest.raises(ShardFailed) as caught:
        execute_shard(messages()[0], LateDuplicate(tmp_path), NOW)
    assert caught.value.error_code == "storage_error" and "disk full" in caught.value.cause
    assert store.get(success_key) == committed
    assert store.exists(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("failure", 0))
    status = run_status(store, "fn-run")
    assert 0 in status.succeeded and [f.shard_id for f in status.failed] == []


class CrashAfter(LocalObjectStore):
    """A store whose process 'dies' (BaseException, like SIGKILL) after N writes."""

    def __init__(self, root, writes):
        super().__init__(root)
        self.remaining = writes

    def put(self, key, body, *, if_absent=False):
        if self.remaining == 0:
            raise SystemExit("killed")
        self.remaining -= 1
        super().put(key, body, if_absent=if_absent)


def test_a_crash_between_points_leaves_complete_objects_and_no_commit(tmp_path: Path):
    message = messages()[0]
    with pytest.raises(SystemExit):
        execute_shard(message, CrashAfter(tmp_path, writes=4), NOW)  # point 0's four objects
    store = LocalObjectStore(tmp_path)
    present = list(store.list(""))
    assert len(present) == 4 and all("point_index" in k for k in present)
    for key in present:
        decode_table(store.get(key))  # every visible object is a complete Parquet file
    assert not any(".tmp-" in name for name in files_under(tmp_path))
    assert not store.exists(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("success", 0))
    assert not store.exists(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("failure", 0))
    result = execute_shard(message, store, NOW)  # the redelivery completes it
    assert result.status == "success"
    clean = LocalObjectStore(tmp_path / "clean")
    execute_shard(message, clean, NOW)
    for key in clean.list(""):
        assert store.get(key) == clean.get(key), key


def test_error_codes_are_documented():
    assert set(ERROR_CODES) == {
        "injected_failure",
        "timeout",
        "cancelled",
        "simulation_error",
        "schema_mismatch",
        "storage_error",
        "internal_error",
    }
    docs = (Path(__file__).resolve().parents[2] / "docs" / "worker.md").read_text()
    for code in ERROR_CODES:
        assert f"`{code}`" in docs


@pytest.mark.parametrize("body", ["not json", "[]", '{"run_id": "../x", "shard_id": 1}', ""])
def test_an_undecodable_message_writes_nothing(tmp_path: Path, body):
    store = LocalObjectStore(tmp_path)
    with pytest.raises(InvalidShardMessage):
        execute_shard_body(body, store, NOW)
    assert list(store.list("")) == []


def test_a_malformed_message_naming_a_submitted_shard_writes_nothing(tmp_path: Path):
    # It cannot be the planner's message: it is refused like a forged one, so a queue
    # message never writes a record under a run it does not belong to.
    store = LocalObjectStore(tmp_path)
    claim_run(store, parse_sweep_request(request_body()), now=NOW, request_source="local")
    before = sorted(store.list(""))
    document = json.loads(messages()[0].to_json())
    document["end_index_exclusive"] = 99  # beyond total_points
    with pytest.raises(InvalidShardMessage) as caught:
        execute_shard_body(json.dumps(document), store, NOW)
    assert caught.value.field == "end_index_exclusive"
    assert sorted(store.list("")) == before


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        (ScenarioError("epoch_ms", "negative"), "simulation_error"),
        (SchemaMismatch("trip_data", "column 'state' got numpy dtype int64"), "schema_mismatch"),
        (ZeroDivisionError("division by zero"), "simulation_error"),
        (RuntimeError("surprise"), "internal_error"),
    ],
)
def test_point_errors_are_classified(tmp_path: Path, monkeypatch, raised, code):
    def explode(*_args, **_kwargs):
        raise raised

    monkeypatch.setattr(worker, "simulate_point", explode)
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ShardFailed) as caught:
        execute_shard(messages()[0], store, NOW)
    assert caught.value.error_code == code
    row = decode_table(
        store.get(keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("failure", 0))
    ).to_pylist()[0]
    assert row["error_code"] == code and str(raised) in row["error_message"]


# -- the deadline (issue 15, item 4) ----------------------------------------------------


def failure_row(store, shard_id=0):
    key = keys.RunAddress.of(RUN_DATE, "fn-run").shard_outcome_key("failure", shard_id)
    return decode_table(store.get(key)).to_pylist()[0]


def test_a_shard_past_its_deadline_writes_a_timeout_failure_record(tmp_path: Path):
    import time

    store = LocalObjectStore(tmp_path)
    with pytest.raises(ShardFailed) as caught:
        execute_shard(messages()[0], store, NOW, deadline=time.monotonic() - 1)
    assert caught.value.error_code == "timeout"
    assert failure_row(store)["error_code"] == "timeout"
    assert [f.shard_id for f in run_status_of(store).failed] == [0]


def run_status_of(store):
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.submissions import claim_run

    claim_run(store, parse_sweep_request(request_body()), now=NOW, request_source="local")
    return run_status(store, "fn-run")


def test_a_point_running_past_the_deadline_is_stopped_and_recorded(tmp_path: Path, monkeypatch):
    import time

    def endless(_point):
        time.sleep(30)  # a point that would hold the function until its timeout
        raise AssertionError("the deadline did not stop the point")

    monkeypatch.setattr(worker, "simulate_point", endless)
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ShardFailed) as caught:
        execute_shard(messages()[0], store, NOW, deadline=time.monotonic() + 0.3)
    assert caught.value.error_code == "timeout"
    row = failure_row(store)
    assert row["error_code"] == "timeout" and "deadline" in row["error_message"]
    assert run_status_of(store).failed[0].error_code == "timeout"  # failed, not missing
