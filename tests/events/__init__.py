"""JSON event fixtures (trimmed real API Gateway v1/v2 and SQS events) and builders."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/events/<name>.json``."""
    return copy.deepcopy(json.loads((_HERE / f"{name}.json").read_text()))


def api_post(version: int, body: Any, *, base64_encoded: bool = False) -> dict[str, Any]:
    """A ``POST /sweep-run`` event of payload version 1 or 2 carrying ``body``."""
    import base64

    event = load_event(f"apigw_v{version}_post")
    text = body if isinstance(body, str) else json.dumps(body)
    if base64_encoded:
        event["body"] = base64.b64encode(text.encode()).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = text
    return event


def api_get(version: int, run_id: str) -> dict[str, Any]:
    event = load_event(f"apigw_v{version}_get")
    event["pathParameters"] = {"run_id": run_id}
    if version == 1:
        event["path"] = f"/sweep-run/{run_id}"
    else:
        event["rawPath"] = f"/sweep-run/{run_id}"
        event["requestContext"]["http"]["path"] = f"/sweep-run/{run_id}"
    return event


def sqs_event(bodies: list[str], *, ids: list[str] | None = None) -> dict[str, Any]:
    """An SQS event with one record per body (message ids ``m0``, ``m1``… unless given)."""
    records = []
    for i, body in enumerate(bodies):
        record = load_event("sqs_record")
        record["messageId"] = ids[i] if ids else f"m{i}"
        record["body"] = body
        records.append(record)
    return {"Records": records}


def api_request(**changes: Any) -> dict[str, Any]:
    """A small valid request body for the API tests, with some fields replaced."""
    body: dict[str, Any] = {
        "run_id": "api-run",
        "dimensions": {"num_riders": [30, 40], "num_drivers": [10], "match_radius": [2]},
        "shard_count": 2,
        "seed": 5,
        "failure_injection_shards": [],
    }
    body.update(changes)
    return body


#: Request bodies the API must refuse (400, nothing written or enqueued), each with the
#: field its answer names (a value's field may add an index: ``dimensions.x[0]``).
MALFORMED = [
    ("not json", "body"),
    ("", "body"),
    ("[1, 2]", "body"),
    ('{"run_id": "x"', "body"),
    (  # a duplicate key makes the body invalid JSON
        '{"run_id": "a", "run_id": "b", "dimensions": {"num_riders": [1]}, "shard_count": 1}',
        "body",
    ),
    ('{"run_id": "a", "dimensions": {"num_riders": [NaN]}, "shard_count": 1}', "body"),
    ('{"run_id": "a", "dimensions": {"num_riders": [1e400]}, "shard_count": 1}', "body"),
    (api_request(run_id=""), "run_id"),
    (api_request(run_id="   "), "run_id"),
    (api_request(run_id="../x"), "run_id"),
    (api_request(run_id=".."), "run_id"),
    (api_request(run_id="a/b"), "run_id"),
    (api_request(run_id="x" * 129), "run_id"),
    (api_request(run_id=7), "run_id"),
    (api_request(dimensions={}), "dimensions"),
    (api_request(dimensions=[]), "dimensions"),
    (api_request(dimensions={"num_riders": []}), "dimensions.num_riders"),
    (api_request(dimensions={"speed": [1]}), "dimensions.speed"),
    (api_request(dimensions={"num_riders": ["500"]}), "dimensions.num_riders[0]"),
    (api_request(dimensions={"num_riders": [5.0]}), "dimensions.num_riders[0]"),
    (api_request(dimensions={"num_riders": [True]}), "dimensions.num_riders[0]"),
    (api_request(dimensions={"num_riders": [-1]}), "dimensions.num_riders[0]"),
    (api_request(dimensions={"commission_rate": [1.5]}), "dimensions.commission_rate[0]"),
    (api_request(dimensions={"commission_rate": ["0.1"]}), "dimensions.commission_rate[0]"),
    (api_request(dimensions={"surge_enabled": [1]}), "dimensions.surge_enabled[0]"),
    (
        api_request(dimensions={"matching_algorithm_type": ["greedy"]}),
        "dimensions.matching_algorithm_type",
    ),
    (api_request(dimensions={"traffic_profile": ["paris"]}), "dimensions.traffic_profile"),
    (api_request(dimensions={"epoch_ms": [-5]}), "dimensions.epoch_ms[0]"),
    (
        api_request(dimensions={"simulation_duration_hours": [0]}),
        "dimensions.simulation_duration_hours",
    ),
    (api_request(dimensions={"batch_interval_secs": [0]}), "dimensions.batch_interval_secs[0]"),
    (api_request(dimensions={"base_speed_kmh": [0]}), "dimensions.base_speed_kmh[0]"),
    (api_request(dimensions={"surge_max_multiplier": [0.5]}), "dimensions.surge_max_multiplier[0]"),
    (api_request(dimensions={"num_riders": list(range(10_001))}), "dimensions.num_riders"),
    (
        api_request(
            dimensions={
                f"{n}": list(range(100)) for n in ("num_riders", "num_drivers", "match_radius")
            }
        ),
        "dimensions",
    ),
    (api_request(shard_count=0), "shard_count"),
    (api_request(shard_count=None, shard_size=None), "shard_count"),
    (api_request(shard_count=None, shard_size=0), "shard_size"),
    (api_request(shard_count="2"), "shard_count"),
    (api_request(max_shards=0), "max_shards"),
    (api_request(shard_count=None, shard_size=1, max_shards=1), "shard_size"),
    (api_request(seed="5"), "seed"),
    (api_request(seed=2**63), "seed"),
    (api_request(failure_injection_shards=[-1]), "failure_injection_shards"),
    (api_request(failure_injection_shards="1"), "failure_injection_shards"),
    (api_request(extra_field=1), "extra_field"),
]
