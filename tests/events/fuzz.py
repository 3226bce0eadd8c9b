"""Hypothesis strategies of Lambda events: API Gateway requests (payload v1 and v2) and SQS
batches, from well-formed to hostile — any JSON value in any field, text with lone
surrogates, missing ids, wrong types, near-miss routes and bodies that are almost valid.

Used by tests/unit/test_handler_fuzz.py and by ``make bench-reliability``.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import strategies as st

from tests.events import api_request, load_event

#: Text that may hold lone surrogates (hypothesis' default text never does).
hostile_text = st.one_of(
    st.text(max_size=20),
    st.builds(lambda a, b: f"{a}\ud800{b}", st.text(max_size=5), st.text(max_size=5)),
    st.sampled_from(["", "\x00", "\udfff", "é", "/", "..", "%2F", "sweep-run"]),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=6,
)

#: Request bodies: valid ones (a random run id), nearly valid ones, junk.
valid_bodies = st.builds(
    lambda run_id, seed: json.dumps(api_request(run_id=run_id, seed=seed)),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
    st.integers(min_value=0, max_value=5),
)
broken_bodies = st.builds(
    lambda key, value: json.dumps({**api_request(), key: value}, default=str),
    st.sampled_from(
        ["run_id", "dimensions", "shard_count", "shard_size", "seed", "max_shards", "x"]
    ),
    json_values,
)
bodies = st.one_of(
    valid_bodies,
    broken_bodies,
    hostile_text,
    json_values,  # not even a string
    st.builds(lambda b: base64.b64encode(b).decode(), st.binary(max_size=40)),
)

paths = st.one_of(
    st.sampled_from(
        [
            "/sweep-run",
            "/sweep-run/",
            "/sweep-run/r1",
            "/sweep-run/r1/x",
            "/sweep-run/present/cancel",
            "/sweep-run/r1/cancel/x",
            "/anything/sweep-run",
            "/prod/sweep-run",
            "/sweep-run/..%2Fx",
            "",
            "/",
        ]
    ),
    json_values,
)
methods = st.one_of(st.sampled_from(["GET", "POST", "PUT", "get", "DELETE", ""]), json_values)
headers = st.one_of(
    st.just({"Content-Type": "application/json"}),
    st.just({"content-type": "application/json; charset=utf-8"}),
    st.just({"content-type": "text/plain"}),
    st.just({"Content-Type": "application/x-www-form-urlencoded"}),
    st.dictionaries(hostile_text, json_values, max_size=2),
    json_values,
)


def _set(event: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target: Any = event
    for part in path[:-1]:
        if not isinstance(target, dict) or not isinstance(target.get(part), dict):
            return
        target = target[part]
    if isinstance(target, dict):
        target[path[-1]] = value


_API_FIELDS = {
    1: {
        ("body",): bodies,
        ("isBase64Encoded",): st.one_of(st.booleans(), json_values),
        ("headers",): headers,
        ("httpMethod",): methods,
        ("path",): paths,
        ("pathParameters",): st.one_of(
            st.none(), st.fixed_dictionaries({"run_id": hostile_text}), json_values
        ),
        ("requestContext",): st.one_of(st.just({}), json_values),
    },
    2: {
        ("body",): bodies,
        ("isBase64Encoded",): st.one_of(st.booleans(), json_values),
        ("headers",): headers,
        ("requestContext", "http", "method"): methods,
        ("rawPath",): paths,
        ("requestContext", "http"): st.one_of(st.just({"method": "POST"}), json_values),
        ("requestContext", "stage"): st.one_of(st.sampled_from(["$default", "prod"]), json_values),
        ("pathParameters",): st.one_of(
            st.none(), st.fixed_dictionaries({"run_id": hostile_text}), json_values
        ),
    },
}


@st.composite
def api_events(draw: st.DrawFn) -> dict[str, Any]:
    """An API Gateway event: a real v1/v2 POST or GET with some fields replaced."""
    version = draw(st.sampled_from([1, 2]))
    event = load_event(f"apigw_v{version}_{draw(st.sampled_from(['post', 'get']))}")
    fields = _API_FIELDS[version]
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), max_size=4, unique=True))
    for path in chosen:
        _set(event, path, draw(fields[path]))
    return event


@st.composite
def sqs_records(draw: st.DrawFn) -> Any:
    record = load_event("sqs_record")
    record["messageId"] = draw(st.text(min_size=1, max_size=8))
    record["body"] = draw(st.one_of(hostile_text, json_values, valid_bodies))
    names = st.sampled_from(["messageId", "body", "attributes"])
    for name in draw(st.lists(names, max_size=2, unique=True)):
        if draw(st.booleans()):
            del record[name]
        else:
            record[name] = draw(json_values)
    return draw(st.one_of(st.just(record), st.just(record), json_values))


@st.composite
def sqs_events(draw: st.DrawFn) -> dict[str, Any]:
    """An SQS batch whose records may lack ids or bodies, or not be records at all."""
    records = draw(st.lists(sqs_records(), min_size=1, max_size=3))
    for record in records:
        if isinstance(record, dict):
            record.setdefault("eventSource", "aws:sqs")
    return {"Records": copy.deepcopy(records)}


events = st.one_of(api_events(), sqs_events(), json_values)
