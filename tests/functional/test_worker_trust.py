"""The worker runs only submitted shards (issue 15, item 2).

Every forged message — a run id never submitted, a tampered fingerprint, seed, date,
value or injection list, a shard outside the plan, shard 0 carrying shard 1's range —
is refused before anything is written; the genuine messages still commit, and the run's
status ends complete with every point counted.
"""

from __future__ import annotations

import json
import logging

import pytest

from sweeplib import worker
from sweeplib.contracts import parse_sweep_request
from sweeplib.errors import MessageRefused
from sweeplib.planning import compute_shard_plan, shard_messages
from sweeplib.status import run_status
from sweeplib.storage import MemoryObjectStore
from sweeplib.submissions import claim_run
from sweeplib.worker import execute_shard_body
from tests.factories import NOW, RUN_DATE, request_body

BODY = request_body("trusted-run")  # 4 points in 3 shards: [0,2) [2,3) [3,4)


def genuine():
    request = parse_sweep_request(BODY)
    return [
        m.to_json_dict() for m in shard_messages(request, compute_shard_plan(request), RUN_DATE)
    ]


def forged(index: int, **changes):
    document = genuine()[index]
    document.update(changes)
    return json.dumps(document)


FORGERIES = {
    "never submitted run": forged(0, run_id="nobody-run"),
    "tampered fingerprint": forged(0, request_fingerprint="0" * 64),
    "tampered seed": forged(0, seed=12),
    "other run date": forged(0, run_date="2026-02-15"),
    "shard outside the plan": forged(2, shard_id=3),
    "shard 0 with shard 1's range": forged(0, start_index=2, end_index_exclusive=3),
    "shard 1 with a wider range": forged(1, start_index=1, end_index_exclusive=4),
    "changed value": forged(0, dimensions={**genuine()[0]["dimensions"], "num_drivers": [16]}),
    "injection removed": forged(0, failure_injection_shards=[2]),
}


@pytest.fixture
def accepted():
    store = MemoryObjectStore()
    claim_run(store, parse_sweep_request(BODY), now=NOW, request_source="api")
    return store


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_message_is_refused_and_writes_nothing(accepted, name, caplog):
    before = sorted(accepted.list(""))
    with caplog.at_level(logging.WARNING, logger="sweeplib.worker"), pytest.raises(MessageRefused):
        execute_shard_body(FORGERIES[name], accepted, NOW)
    assert sorted(accepted.list("")) == before
    assert any(getattr(r, "event", None) == "message_refused" for r in caplog.records)


def test_forgeries_cannot_make_a_run_look_complete(accepted):
    for body in FORGERIES.values():
        with pytest.raises(MessageRefused):
            execute_shard_body(body, accepted, NOW)
    for document in genuine():
        assert execute_shard_body(json.dumps(document), accepted, NOW).status == "success"
    status = run_status(accepted, "trusted-run")
    assert status.succeeded == (0, 1, 2) and status.succeeded_points == 4
    assert status.unplanned == ()


def test_the_submission_record_is_read_once_per_run_and_store(accepted, monkeypatch):
    reads = []
    real = worker.load_submission
    monkeypatch.setattr(
        worker,
        "load_submission",
        lambda store, run_id, **kw: reads.append(run_id) or real(store, run_id, **kw),
    )
    for document in genuine():
        execute_shard_body(json.dumps(document), accepted, NOW)
    assert reads == ["trusted-run"]
    other = MemoryObjectStore()  # another store (another deployment): read afresh
    with pytest.raises(MessageRefused):
        execute_shard_body(json.dumps(genuine()[0]), other, NOW)
    assert reads == ["trusted-run", "trusted-run"]


def test_an_unknown_run_is_not_remembered_as_unknown():
    store = MemoryObjectStore()
    with pytest.raises(MessageRefused):
        execute_shard_body(json.dumps(genuine()[0]), store, NOW)
    claim_run(store, parse_sweep_request(BODY), now=NOW, request_source="api")
    assert execute_shard_body(json.dumps(genuine()[0]), store, NOW).status == "success"
