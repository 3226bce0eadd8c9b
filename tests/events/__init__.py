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
