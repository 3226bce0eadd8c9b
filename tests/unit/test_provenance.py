"""Provenance: run_context records which code accepted a run (issue: two runs that differ
only in code are told apart)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import sweeplib
import sweeplib.sim
from sweeplib.config import DeploymentConfig
from sweeplib.errors import ConfigurationError
from sweeplib.handler import Deployment, handle
from sweeplib.provenance import current_provenance, kernel_hash
from sweeplib.storage import MemoryObjectStore, decode_table, keys
from tests.events import api_post
from tests.events import api_request as request
from tests.factories import NOW, RUN_DATE, submit_inline

from .test_handler import FakeQueue

ARTIFACT = "ab" * 32


def test_the_kernel_hash_covers_every_kernel_source_file():
    sources = sorted(Path(sweeplib.sim.__file__).parent.glob("*.py"))
    assert len(sources) >= 15
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert kernel_hash() == digest.hexdigest()


def run_context(store, run_id):
    key = keys.RunAddress.of(RUN_DATE, run_id).run_context_key()
    return decode_table(store.get(key)).to_pylist()[0]


def test_a_local_run_records_the_version_and_kernel_hash():
    store = MemoryObjectStore()
    submit_inline(store, {**request(), "run_id": "prov", "replications": 2})
    row = run_context(store, "prov")
    assert row["sweeplib_version"] == sweeplib.__version__
    assert row["kernel_hash"] == kernel_hash() and len(row["kernel_hash"]) == 64
    assert row["artifact_sha256"] is None
    assert (row["design_kind"], row["replications"], row["seeding"]) == ("grid", 2, "independent")
    assert row["total_points"] == 2 * row["design_points"]


def test_the_api_records_the_deployed_artifacts_sha256():
    env = {"SWEEP_RESULTS_BUCKET": "results", "SHARD_QUEUE_URL": "http://127.0.0.1/q",
           "SWEEP_ARTIFACT_SHA256": ARTIFACT.upper()}  # fmt: skip
    config = DeploymentConfig.from_env(env)
    assert config.artifact_sha256 == ARTIFACT
    store = MemoryObjectStore()
    deployment = Deployment(config, store, FakeQueue(), lambda: NOW)
    answer = handle(api_post(2, {**request(), "run_id": "api-prov"}), deployment=lambda: deployment)
    assert answer["statusCode"] == 202, json.loads(answer["body"])
    row = run_context(store, "api-prov")
    assert row["artifact_sha256"] == ARTIFACT and row["kernel_hash"] == kernel_hash()
    assert current_provenance(ARTIFACT).artifact_sha256 == ARTIFACT


@pytest.mark.parametrize("value", ["abc", "z" * 64, "ab" * 33])
def test_a_malformed_artifact_hash_is_a_configuration_error(value):
    env = {"SWEEP_RESULTS_BUCKET": "results", "SWEEP_ARTIFACT_SHA256": value}
    with pytest.raises(ConfigurationError, match="SWEEP_ARTIFACT_SHA256"):
        DeploymentConfig.from_env(env)


def test_a_run_context_completed_later_keeps_the_accepting_codes_provenance():
    """A replay (or rerun) that finds run_context missing writes it from the submission
    record, so it names the code that accepted the run, not the code completing it."""
    from sweeplib import services
    from sweeplib.contracts import Provenance, parse_sweep_request
    from sweeplib.dispatch.inline import InlineDispatcher

    store = MemoryObjectStore()
    accepted = parse_sweep_request({**request(), "run_id": "late-context"})
    accepting = Provenance(sweeplib_version="0.0.9", kernel_hash="1" * 64)
    completing = Provenance(sweeplib_version="9.9.9", kernel_hash="2" * 64)
    dispatcher = InlineDispatcher(store, clock=lambda: NOW)
    services.submit(accepted, store=store, dispatcher=dispatcher, now=NOW,
                    request_source="api", provenance=accepting)  # fmt: skip
    key = keys.RunAddress.of(RUN_DATE, "late-context").run_context_key()
    first = store.get(key)
    del store._objects[key]  # the PUT of run_context was lost
    services.submit(accepted, store=store, dispatcher=dispatcher, now=NOW,
                    request_source="api", provenance=completing)  # fmt: skip
    assert store.get(key) == first
    assert run_context(store, "late-context")["sweeplib_version"] == "0.0.9"
