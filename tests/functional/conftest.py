"""Fixtures for functional tests: small sweeps through the real local store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sweeplib.contracts import parse_sweep_request

NOW = dt.datetime(2026, 2, 14, 10, 30, tzinfo=dt.UTC)


def small_request(**changes):
    body = {
        "run_id": "fn-run",
        "dimensions": {
            "num_riders": [40, 60],
            "num_drivers": [15],
            "match_radius": [3],
            "commission_rate": [0.1, 0.2],
        },
        "shard_count": 3,
        "seed": 11,
        "failure_injection_shards": [],
    }
    body.update(changes)
    return body


@pytest.fixture
def request_body():
    return small_request()


@pytest.fixture
def request_file(tmp_path: Path):
    def write(**changes) -> Path:
        path = tmp_path / "request.json"
        path.write_text(json.dumps(small_request(**changes)))
        return path

    return write


@pytest.fixture
def sweep_request():
    return parse_sweep_request(small_request())


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes), temp files included."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
