"""The Dispatcher contract against the local process pool over a local folder (the
in-process twin runs it in tests/unit, SQS in tests/integration). Interrupting the pool
is tested through `sweep run` in test_local_cli.py."""

from __future__ import annotations

import pytest

from sweeplib.local import LocalDispatcher
from sweeplib.storage import LocalObjectStore
from tests.contracts.dispatcher import DispatcherContract, outcome_receipt, outcome_receipts
from tests.factories import one_point_shards


class TestLocalDispatcher(DispatcherContract):
    @pytest.fixture
    def dispatcher(self, tmp_path):
        return LocalDispatcher(tmp_path / "data", workers=2, progress=False)

    @pytest.fixture
    def handed_over(self, tmp_path):
        return lambda: outcome_receipts(LocalObjectStore(tmp_path / "data"))

    def receipt(self, message):
        return outcome_receipt(message)


def test_the_summary_counts_what_the_pool_ran(tmp_path):
    dispatcher = LocalDispatcher(tmp_path, workers=2, progress=False)
    report = dispatcher.dispatch(one_point_shards(3, failure_injection_shards=[1]))
    assert [(r.shard_id, r.status_code, r.detail) for r in report.records] == [
        (0, 200, "success"),
        (1, 200, "failure"),
        (2, 200, "success"),
    ]
    summary = dispatcher.summary
    assert [o.shard_id for o in summary.shards("success")] == [0, 2]
    assert [(o.shard_id, o.error_code) for o in summary.shards("failure")] == [
        (1, "injected_failure")
    ]
    assert summary.points == 2 and summary.interrupted == []
    again = dispatcher.dispatch(one_point_shards(3)[:1])
    assert again.records[0].detail == "skipped"  # a committed shard is not run twice
