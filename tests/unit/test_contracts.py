"""Requests, canonical JSON, fingerprints, shard messages and records (DESIGN §3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from sweeplib.contracts import (
    RECORD_SCHEMA,
    SCHEMA_VERSION,
    EffectiveParametersRecord,
    Limits,
    RunContextRecord,
    ShardMessage,
    ShardOutcomeRecord,
    SweepRequest,
    canonical_json,
    config_fingerprint,
    format_event_time,
    format_run_date,
    parameter_fingerprint,
    parse_sweep_request,
    parse_sweep_request_json,
    request_fingerprint,
    sha256_hex,
    validate_run_id,
)
from sweeplib.errors import (
    ConfigurationError,
    InvalidRequest,
    InvalidShardMessage,
    PlanTooLarge,
)
from tests.factories import DEMO_CONFIG_FINGERPRINT, DEMO_REQUEST_FILE, DEMO_REQUEST_FINGERPRINT

DEMO_TEXT = DEMO_REQUEST_FILE.read_text(encoding="utf-8")
DROP = object()

# Pinned: changing these is a contract change (schema version bump), not a refactor.
DEMO_CANONICAL = (
    '{"dimensions":{"commission_rate":[0.1,0.2],"num_drivers":[100,200],'
    '"num_riders":[500,700]},"failure_injection_shards":[1],"max_shards":1000,'
    '"run_id":"demo-run-001","seed":42,"shard_count":4,"shard_size":null}'
)
# (the request's fingerprints are pinned in tests/factories.py)


def body(**overrides: object) -> dict[str, object]:
    """The runbook request with some fields replaced (or removed with ``DROP``)."""
    result: dict[str, object] = json.loads(DEMO_TEXT)
    for key, value in overrides.items():
        if value is DROP:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# -- canonical JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ({"z": {"y": 1, "x": [3, 2]}}, '{"z":{"x":[3,2],"y":1}}'),
        ([1, 1.0, 0.1, -0.0, 2.5e-7], "[1,1.0,0.1,-0.0,2.5e-07]"),
        (
            [1e16, 1e22, 123456789.0, 0.30000000000000004],
            "[1e+16,1e+22,123456789.0,0.30000000000000004]",
        ),
        ([True, False, None], "[true,false,null]"),
        ((1, 2), "[1,2]"),
        (2**64, "18446744073709551616"),
        ("é\u00fc\u4e2d", '"éü中"'),
        ('q"\\\n', '"q\\"\\\\\\n"'),
        ({"B": 1, "a": 2, "_": 3, "é": 4}, '{"B":1,"_":3,"a":2,"é":4}'),
    ],
)
def test_canonical_json_is_pinned(value, text):
    assert canonical_json(value) == text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [float("-inf")]])
def test_canonical_json_refuses_non_finite_numbers(bad):
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json(bad)


def test_sha256_hex_is_of_the_utf8_bytes():
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# -- parsing a request ------------------------------------------------------------------------


def test_the_runbook_request_is_normalized():
    request = parse_sweep_request_json(DEMO_TEXT)
    assert request == SweepRequest(
        run_id="demo-run-001",
        dimensions={
            "commission_rate": (0.1, 0.2),
            "num_drivers": (100, 200),
            "num_riders": (500, 700),
        },
        shard_count=4,
        shard_size=None,
        max_shards=1000,
        seed=42,
        failure_injection_shards=(1,),
    )
    assert canonical_json(request.to_json_dict()) == DEMO_CANONICAL
    assert request.total_points == 8


def test_normalization_trims_sorts_and_fills_defaults():
    request = parse_sweep_request(
        body(
            run_id="  demo-run-001\t",
            dimensions={"num_riders": [700, 500], "matching_algorithm_type": ["Cost-Based"]},
            failure_injection_shards=[5, 1, 5, 0],
            seed=DROP,
            shard_count=DROP,
            shard_size=3,
        )
    )
    assert request.run_id == "demo-run-001"
    assert list(request.dimensions) == ["matching_algorithm_type", "num_riders"]
    assert request.dimensions["num_riders"] == (700, 500)  # value order is the user's
    assert request.dimensions["matching_algorithm_type"] == ("Cost-Based",)  # raw, as given
    assert request.failure_injection_shards == (0, 1, 5)
    assert request.seed == 0
    assert (request.shard_count, request.shard_size, request.max_shards) == (None, 3, 1000)


def test_null_optional_fields_are_the_same_as_absent():
    request = parse_sweep_request(
        body(shard_size=None, max_shards=None, seed=None, failure_injection_shards=None)
    )
    assert (request.shard_size, request.max_shards, request.seed) == (None, 1000, 0)
    assert request.failure_injection_shards == ()


def test_shard_count_and_shard_size_are_both_kept_when_both_given():
    request = parse_sweep_request(body(shard_count=2, shard_size=3))
    assert (request.shard_count, request.shard_size) == (2, 3)


def test_max_shards_defaults_to_the_deployment_limit():
    request = parse_sweep_request(body(), Limits(max_shards=50))
    assert request.max_shards == 50


def test_a_request_survives_its_own_json_dict():
    request = parse_sweep_request_json(DEMO_TEXT)
    assert parse_sweep_request(request.to_json_dict()) == request
    assert parse_sweep_request_json(canonical_json(request.to_json_dict())) == request


def test_the_request_is_immutable():
    request = parse_sweep_request_json(DEMO_TEXT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        request.dimensions["num_riders"] = (1,)  # type: ignore[index]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        # top level
        (
            {"priority": 1},
            "priority",
            "unknown field; accepted: design, dimensions, failure_injection_shards",
        ),
        # run_id
        ({"run_id": DROP}, "run_id", "is required"),
        ({"run_id": None}, "run_id", "must be a string, got null"),
        ({"run_id": 7}, "run_id", "must be a string, got integer 7"),
        ({"run_id": "   "}, "run_id", "must not be empty"),
        ({"run_id": ""}, "run_id", "must not be empty"),
        ({"run_id": "../x"}, "run_id", "may contain only letters, digits, '.', '_' and '-'"),
        ({"run_id": "a/b"}, "run_id", "got string 'a/b'"),
        ({"run_id": "run id"}, "run_id", "may contain only"),
        ({"run_id": "run=1"}, "run_id", "may contain only"),
        ({"run_id": "rún"}, "run_id", "may contain only"),
        ({"run_id": "."}, "run_id", "must not consist only of dots"),
        ({"run_id": ".."}, "run_id", "must not consist only of dots"),
        ({"run_id": "..."}, "run_id", "must not consist only of dots"),
        ({"run_id": "x" * 129}, "run_id", "must be at most 128 characters, got 129"),
        # dimensions
        ({"dimensions": DROP}, "dimensions", "is required"),
        ({"dimensions": None}, "dimensions", "must be an object mapping dimension names"),
        ({"dimensions": [["num_riders", [1]]]}, "dimensions", "got array"),
        ({"dimensions": {}}, "dimensions", "must name at least one dimension"),
        (
            {"dimensions": {"num_riders": [1], "rider_mood": ["happy"]}},
            "dimensions.rider_mood",
            "unknown dimension; accepted: base_fare,",
        ),
        ({"dimensions": {"num_riders": []}}, "dimensions.num_riders", "got an empty list"),
        ({"dimensions": {"num_riders": 500}}, "dimensions.num_riders", "got integer 500"),
        ({"dimensions": {"num_riders": None}}, "dimensions.num_riders", "got null"),
        (
            {"dimensions": {"commission_rate": [0.1, "0.2"]}},
            "dimensions.commission_rate[1]",
            "must be a number, got string '0.2'",
        ),
        (
            {"dimensions": {"num_riders": [500, 600, 2.0]}},
            "dimensions.num_riders[2]",
            "must be an unsigned integer, got number 2.0",
        ),
        (
            {"dimensions": {"surge_enabled": [True, 0]}},
            "dimensions.surge_enabled[1]",
            "must be a boolean, got integer 0",
        ),
        (
            {"dimensions": {"matching_algorithm_type": ["simple", "greedy"]}},
            "dimensions.matching_algorithm_type[1]",
            "got 'greedy'",
        ),
        # sharding controls
        ({"shard_count": DROP}, "shard_count", "one of shard_count or shard_size is required"),
        ({"shard_count": None}, "shard_count", "one of shard_count or shard_size is required"),
        ({"shard_count": 0}, "shard_count", "must be ≥ 1, got 0"),
        ({"shard_count": -2}, "shard_count", "must be ≥ 1, got -2"),
        ({"shard_count": "4"}, "shard_count", "must be an integer, got string '4'"),
        ({"shard_count": 4.0}, "shard_count", "must be an integer, got number 4.0"),
        ({"shard_count": True}, "shard_count", "must be an integer, got boolean true"),
        ({"shard_count": 2**63}, "shard_count", "must be ≤ 9223372036854775807"),
        ({"shard_count": DROP, "shard_size": 0}, "shard_size", "must be ≥ 1, got 0"),
        ({"shard_size": 1.5}, "shard_size", "must be an integer, got number 1.5"),
        ({"max_shards": 0}, "max_shards", "must be ≥ 1, got 0"),
        ({"max_shards": False}, "max_shards", "must be an integer, got boolean false"),
        # seed
        ({"seed": "42"}, "seed", "must be an integer, got string '42'"),
        ({"seed": 4.2}, "seed", "must be an integer, got number 4.2"),
        ({"seed": True}, "seed", "must be an integer, got boolean true"),
        ({"seed": 2**63}, "seed", "must be ≤ 9223372036854775807, got 9223372036854775808"),
        ({"seed": -(2**63) - 1}, "seed", "must be ≥ -9223372036854775808"),
        # failure injection
        ({"failure_injection_shards": 1}, "failure_injection_shards", "must be a list of integers"),
        (
            {"failure_injection_shards": [0, -1]},
            "failure_injection_shards[1]",
            "must be ≥ 0, got -1",
        ),
        ({"failure_injection_shards": ["1"]}, "failure_injection_shards[0]", "got string '1'"),
        ({"failure_injection_shards": [1.0]}, "failure_injection_shards[0]", "got number 1.0"),
    ],
)
def test_every_rule_names_the_field_and_the_problem(overrides, field, reason):
    with pytest.raises(InvalidRequest) as caught:
        parse_sweep_request(body(**overrides))
    assert caught.value.field == field
    assert reason in caught.value.reason


@pytest.mark.parametrize("run_id", ["a", "x" * 128, "run.2024-05-01_b", "..a", ".hidden", "A-Z"])
def test_run_ids_of_allowed_characters_pass(run_id):
    assert parse_sweep_request(body(run_id=run_id)).run_id == run_id
    assert validate_run_id(run_id) == run_id


def test_the_body_must_be_an_object():
    with pytest.raises(InvalidRequest) as caught:
        parse_sweep_request([DEMO_TEXT])
    assert (caught.value.field, caught.value.reason) == ("body", "must be a JSON object, got array")


def test_every_dimension_value_is_validated_not_only_the_first():
    dimensions = {"num_riders": [100] * 9_999 + ["oops"]}
    with pytest.raises(InvalidRequest) as caught:
        parse_sweep_request(body(dimensions=dimensions))
    assert caught.value.field == "dimensions.num_riders[9999]"


def test_too_many_points_is_plan_too_large_naming_the_product():
    dimensions = {"num_riders": list(range(1000)), "num_drivers": list(range(201))}
    with pytest.raises(PlanTooLarge) as caught:
        parse_sweep_request(body(dimensions=dimensions))
    assert caught.value.field == "dimensions"
    assert "201000 points" in caught.value.reason
    assert "num_drivers 201 × num_riders 1000" in caught.value.reason
    assert "200000" in caught.value.reason


def test_exactly_the_point_limit_is_accepted():
    dimensions = {"num_riders": list(range(1000)), "num_drivers": list(range(200))}
    assert parse_sweep_request(body(dimensions=dimensions)).total_points == 200_000


def test_the_point_product_never_materialises_points():
    # 3 dimensions × 10,000 values = 10^12 points: refused by arithmetic, instantly.
    many = {name: list(range(10_000)) for name in ("num_riders", "num_drivers", "match_radius")}
    with pytest.raises(PlanTooLarge, match="1000000000000 points"):
        parse_sweep_request(body(dimensions=many))


def test_too_many_values_in_one_dimension_is_plan_too_large():
    with pytest.raises(PlanTooLarge) as caught:
        parse_sweep_request(body(dimensions={"num_riders": list(range(10_001))}))
    assert caught.value.field == "dimensions.num_riders"
    assert caught.value.reason == "has 10001 values; at most 10000 allowed"


def test_limits_are_configurable():
    limits = Limits(max_points=4, max_values_per_dimension=3, max_shards=10)
    with pytest.raises(PlanTooLarge, match="8 points"):
        parse_sweep_request(body(), limits)
    with pytest.raises(PlanTooLarge, match="has 4 values; at most 3"):
        parse_sweep_request(body(dimensions={"num_riders": [1, 2, 3, 4]}), limits)


def test_too_many_distinct_failure_shards_is_plan_too_large():
    failures = [*range(1_001), 0, 1]
    with pytest.raises(PlanTooLarge) as caught:
        parse_sweep_request(body(failure_injection_shards=failures))
    assert caught.value.field == "failure_injection_shards"
    assert "1001 distinct shards" in caught.value.reason


@pytest.mark.parametrize(
    ("field", "value"), [("max_points", 0), ("max_shards", -1), ("max_values_per_dimension", 2.5)]
)
def test_limits_must_be_positive_integers(field, value):
    with pytest.raises(ConfigurationError) as caught:
        Limits(**{field: value})
    assert caught.value.name == f"Limits.{field}"


# -- decoding request text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not valid JSON: Expecting value"),
        ("{", "not valid JSON"),
        ('{"run_id": "a",}', "not valid JSON"),
        ('{"run_id": "a", "seed": NaN}', "not valid JSON: NaN is not valid JSON"),
        ('{"run_id": "a", "seed": Infinity}', "Infinity is not valid JSON"),
        ('{"run_id": "a", "seed": -Infinity}', "-Infinity is not valid JSON"),
        ('{"dimensions": {"base_fare": [1e400]}}', "number 1e400 is out of range"),
        ('{"run_id": "a", "run_id": "b"}', "duplicate key 'run_id'"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        ("1" * 5_000, "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
    ],
)
def test_request_text_is_decoded_strictly(text, reason):
    with pytest.raises(InvalidRequest) as caught:
        parse_sweep_request_json(text)
    assert caught.value.field == "body"
    assert reason in caught.value.reason


def test_request_bytes_are_utf8():
    assert parse_sweep_request_json(DEMO_TEXT.encode("utf-8")).run_id == "demo-run-001"


# -- fingerprints ------------------------------------------------------------------------------


def test_fingerprints_of_the_runbook_request_are_pinned():
    request = parse_sweep_request_json(DEMO_TEXT)
    assert request_fingerprint(request) == DEMO_REQUEST_FINGERPRINT
    assert request_fingerprint(request) == sha256_hex(DEMO_CANONICAL)
    assert config_fingerprint(request) == DEMO_CONFIG_FINGERPRINT
    assert config_fingerprint(request) == sha256_hex(
        '{"dimensions":{"commission_rate":[0.1,0.2],"num_drivers":[100,200],'
        '"num_riders":[500,700]},"seed":42}'
    )


def test_request_fingerprint_is_of_the_normalized_request():
    base = parse_sweep_request_json(DEMO_TEXT)
    spelled_differently = parse_sweep_request(
        body(
            run_id=" demo-run-001 ",
            max_shards=1000,
            failure_injection_shards=[1, 1],
            dimensions={
                "num_riders": [500, 700],
                "num_drivers": [100, 200],
                "commission_rate": [0.1, 0.2],
            },
        )
    )
    assert request_fingerprint(spelled_differently) == request_fingerprint(base)


@pytest.mark.parametrize(
    "overrides",
    [
        {"run_id": "demo-run-002"},
        {"shard_count": 2},
        {"shard_size": 2},
        {"max_shards": 10},
        {"failure_injection_shards": []},
        {"seed": 43},
        {
            "dimensions": {
                "commission_rate": [0.1, 0.2],
                "num_drivers": [100, 200],
                "num_riders": [700, 500],
            }
        },
    ],
)
def test_request_fingerprint_changes_with_any_field(overrides):
    base = parse_sweep_request_json(DEMO_TEXT)
    assert request_fingerprint(parse_sweep_request(body(**overrides))) != request_fingerprint(base)


@pytest.mark.parametrize(
    "overrides",
    [
        {"run_id": "another-run"},
        {"shard_count": 1},
        {"shard_count": DROP, "shard_size": 3},
        {"max_shards": 7},
        {"failure_injection_shards": [0, 2, 3]},
    ],
)
def test_config_fingerprint_ignores_run_id_and_sharding_controls(overrides):
    base = parse_sweep_request_json(DEMO_TEXT)
    other = parse_sweep_request(body(**overrides))
    assert config_fingerprint(other) == config_fingerprint(base)
    assert request_fingerprint(other) != request_fingerprint(base)


@pytest.mark.parametrize(
    "overrides",
    [
        {"seed": 0},
        {"dimensions": {"commission_rate": [0.1, 0.2], "num_drivers": [100, 200]}},
        {
            "dimensions": {
                "commission_rate": [0.1, 0.3],
                "num_drivers": [100, 200],
                "num_riders": [500, 700],
            }
        },
        # 1 and 1.0 are different JSON values, and so different fingerprints.
        {
            "dimensions": {
                "commission_rate": [0, 1],
                "num_drivers": [100, 200],
                "num_riders": [500, 700],
            }
        },
    ],
)
def test_config_fingerprint_changes_with_dimensions_or_seed(overrides):
    base = parse_sweep_request_json(DEMO_TEXT)
    assert config_fingerprint(parse_sweep_request(body(**overrides))) != config_fingerprint(base)


def test_integers_and_floats_fingerprint_differently():
    ints = parse_sweep_request(body(dimensions={"commission_rate": [0, 1]}))
    floats = parse_sweep_request(body(dimensions={"commission_rate": [0.0, 1.0]}))
    assert config_fingerprint(ints) != config_fingerprint(floats)


def test_parameter_fingerprint_is_of_the_canonical_document():
    document = {"num_riders": 500, "commission_rate": 0.1, "matching_algorithm_type": "hungarian"}
    expected = sha256_hex(
        '{"commission_rate":0.1,"matching_algorithm_type":"hungarian","num_riders":500}'
    )
    assert parameter_fingerprint(document) == expected
    assert parameter_fingerprint(dict(reversed(document.items()))) == expected


# -- shard messages ---------------------------------------------------------------------------


def message_dict(**overrides: object) -> dict[str, object]:
    result: dict[str, object] = {
        "schema_version": "v1",
        "run_id": "demo-run-001",
        "run_date": "2024-05-01",
        "request_fingerprint": DEMO_REQUEST_FINGERPRINT,
        "dimensions": {
            "commission_rate": [0.1, 0.2],
            "num_drivers": [100, 200],
            "num_riders": [500, 700],
        },
        "total_points": 8,
        "shard_id": 1,
        "start_index": 2,
        "end_index_exclusive": 4,
        "seed": 42,
        "failure_injection_shards": [1],
    }
    for key, value in overrides.items():
        if value is DROP:
            result.pop(key)
        else:
            result[key] = value
    return result


def test_a_message_round_trips_through_canonical_json():
    message = ShardMessage.from_dict(message_dict())
    assert message.shard_id == 1
    assert message.dimensions["num_riders"] == (500, 700)
    assert message.failure_injection_shards == (1,)
    text = message.to_json()
    assert text == canonical_json(message_dict())
    assert ShardMessage.from_json(text) == message
    assert ShardMessage.from_json(text.encode("utf-8")) == message


def test_a_message_keeps_raw_dimension_values():
    dims = {"matching_algorithm_type": ["Cost-Based", "HUNGARIAN"], "epoch_ms": [None, 0]}
    message = ShardMessage.from_dict(
        message_dict(dimensions=dims, total_points=4, end_index_exclusive=4)
    )
    assert message.dimensions == {
        "epoch_ms": (None, 0),
        "matching_algorithm_type": ("Cost-Based", "HUNGARIAN"),
    }
    assert ShardMessage.from_json(message.to_json()) == message


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"schema_version": DROP}, "schema_version", "is required"),
        ({"seed": DROP}, "seed", "is required"),
        ({"failure_injection_shards": DROP}, "failure_injection_shards", "is required"),
        ({"attempt": 2}, "attempt", "unknown field"),
        (
            {"schema_version": "v2"},
            "schema_version",
            "must be 'v1' (this reader's), got string 'v2'",
        ),
        ({"schema_version": 1}, "schema_version", "got integer 1"),
        ({"run_id": "../x"}, "run_id", "may contain only"),
        ({"run_id": " demo "}, "run_id", "may contain only"),
        ({"run_id": ".."}, "run_id", "must not consist only of dots"),
        ({"run_id": None}, "run_id", "must be a string, got null"),
        ({"run_date": "2024-5-1"}, "run_date", "must be a date YYYY-MM-DD"),
        ({"run_date": "2024-02-30"}, "run_date", "is not a calendar date"),
        ({"run_date": "20240501"}, "run_date", "must be a date YYYY-MM-DD"),
        ({"run_date": 20240501}, "run_date", "must be a string, got integer 20240501"),
        ({"request_fingerprint": "ABC"}, "request_fingerprint", "must be 64 lowercase hex digits"),
        ({"request_fingerprint": DEMO_REQUEST_FINGERPRINT.upper()}, "request_fingerprint", "hex"),
        ({"dimensions": {}}, "dimensions", "must name at least one dimension"),
        ({"dimensions": {"num_riders": []}}, "dimensions.num_riders", "got an empty list"),
        ({"dimensions": {"bogus": [1]}}, "dimensions.bogus", "unknown dimension"),
        (
            {
                "dimensions": {
                    "commission_rate": [0.1, 2.0],
                    "num_drivers": [100, 200],
                    "num_riders": [500, 700],
                }
            },
            "dimensions.commission_rate[1]",
            "must be in [0, 1], got 2.0",
        ),
        (
            {"total_points": 9},
            "total_points",
            "is 9 but the dimensions and replications give 8 points",
        ),
        ({"total_points": "8"}, "total_points", "must be an integer, got string '8'"),
        ({"total_points": 8.0}, "total_points", "must be an integer, got number 8.0"),
        ({"shard_id": -1}, "shard_id", "must be ≥ 0, got -1"),
        ({"shard_id": True}, "shard_id", "must be an integer, got boolean true"),
        ({"start_index": -1}, "start_index", "must be ≥ 0"),
        ({"start_index": 4}, "end_index_exclusive", "must be greater than start_index 4, got 4"),
        ({"start_index": 5}, "end_index_exclusive", "must be greater than start_index 5, got 4"),
        ({"end_index_exclusive": 9}, "end_index_exclusive", "must be ≤ total_points 8, got 9"),
        ({"seed": 2**63}, "seed", "must be ≤ 9223372036854775807"),
        ({"seed": 1.5}, "seed", "must be an integer"),
        (
            {"failure_injection_shards": [2, 1]},
            "failure_injection_shards",
            "must be sorted ascending",
        ),
        ({"failure_injection_shards": [1, 1]}, "failure_injection_shards", "without duplicates"),
        ({"failure_injection_shards": [-1]}, "failure_injection_shards[0]", "must be ≥ 0"),
        (
            {"failure_injection_shards": None},
            "failure_injection_shards",
            "must be a list of integers",
        ),
    ],
)
def test_malformed_messages_are_refused_naming_the_field(overrides, field, reason):
    with pytest.raises(InvalidShardMessage) as caught:
        ShardMessage.from_dict(message_dict(**overrides))
    assert caught.value.field == field
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not valid JSON"),
        ("not json", "not valid JSON"),
        (b"\x80\x81", "not valid UTF-8"),
        ("[1, 2]", "must be a JSON object, got array"),
        ('{"seed": NaN}', "NaN is not valid JSON"),
    ],
)
def test_undecodable_messages_are_refused(text, reason):
    with pytest.raises(InvalidShardMessage) as caught:
        ShardMessage.from_json(text)
    assert caught.value.field == "message"
    assert reason in caught.value.reason


# -- records ------------------------------------------------------------------------------------

SHARD_OUTCOME_COLUMNS = [
    "run_id",
    "shard_id",
    "status",
    "start_index",
    "end_index_exclusive",
    "event_time",
    "record_schema",
    "result_key",
    "points_processed",
    "format",
    "error_code",
    "error_message",
]
RUN_CONTEXT_COLUMNS = [
    "run_id",
    "request_source",
    "record_schema",
    "request_fingerprint",
    "config_fingerprint",
    "total_points",
    "shard_count",
    "shard_strategy",
    "max_shards",
    # appended: the design and the code (ADR 0015)
    "design_kind",
    "design_points",
    "replications",
    "seeding",
    "sweeplib_version",
    "kernel_hash",
    "artifact_sha256",
]
EFFECTIVE_PARAMETERS_COLUMNS = [
    "run_id",
    "shard_id",
    "point_index",
    "status",
    "record_schema",
    "parameter_fingerprint",
    "effective_parameters_json",
    # appended (ADR 0015)
    "design_point",
    "replicate",
    "point_seed",
]


def test_shard_outcome_rows_are_in_column_order():
    record = ShardOutcomeRecord(
        run_id="demo-run-001",
        shard_id=1,
        status="failure",
        start_index=2,
        end_index_exclusive=4,
        event_time="2024-05-01T12:00:00.000Z",
        error_code="injected_failure",
        error_message="shard 1 fails on purpose",
    )
    row = record.as_row()
    assert list(row) == SHARD_OUTCOME_COLUMNS
    assert row["record_schema"] == "v1" == RECORD_SCHEMA == SCHEMA_VERSION
    assert row["result_key"] is None
    assert row["error_code"] == "injected_failure"


def test_run_context_rows_are_in_column_order():
    record = RunContextRecord(
        run_id="demo-run-001",
        request_source="api",
        request_fingerprint=DEMO_REQUEST_FINGERPRINT,
        config_fingerprint=DEMO_CONFIG_FINGERPRINT,
        total_points=8,
        shard_count=4,
        shard_strategy="explicit_shard_count",
        max_shards=1000,
        design_points=8,
        sweeplib_version="0.1.0",
        kernel_hash="0" * 64,
    )
    assert list(record.as_row()) == RUN_CONTEXT_COLUMNS
    assert record.as_row()["record_schema"] == "v1"


def test_effective_parameter_rows_keep_the_document_order_and_fingerprint_canonically():
    parameters = {"num_riders": 500, "commission_rate": 0.1}
    record = EffectiveParametersRecord.from_parameters(
        run_id="demo-run-001",
        shard_id=0,
        point_index=1,
        status="success",
        parameters=parameters,
        design_point=1,
        replicate=0,
        point_seed=43,
    )
    row = record.as_row()
    assert list(row) == EFFECTIVE_PARAMETERS_COLUMNS
    assert row["effective_parameters_json"] == '{"num_riders":500,"commission_rate":0.1}'
    assert row["parameter_fingerprint"] == parameter_fingerprint(parameters)
    reordered = {"commission_rate": 0.1, "num_riders": 500}
    assert parameter_fingerprint(reordered) == row["parameter_fingerprint"]


@pytest.mark.parametrize("status", ["succeeded", "accepted", "SUCCESS", ""])
def test_records_refuse_unknown_statuses(status):
    with pytest.raises(ValueError, match="status"):
        ShardOutcomeRecord(
            run_id="r", shard_id=0, status=status, start_index=0, end_index_exclusive=1,
            event_time="2024-05-01T12:00:00Z",
        )  # fmt: skip
    with pytest.raises(ValueError, match="status"):
        EffectiveParametersRecord(
            run_id="r", shard_id=0, point_index=0, status=status,
            parameter_fingerprint="x", effective_parameters_json="{}",
            design_point=0, point_seed=0,
        )  # fmt: skip


def test_run_context_refuses_unknown_strategies():
    with pytest.raises(ValueError, match="shard_strategy"):
        RunContextRecord(
            run_id="r", request_source="api", request_fingerprint="a", config_fingerprint="b",
            total_points=1, shard_count=1, shard_strategy="by_magic", max_shards=1,
            design_points=1, sweeplib_version="0", kernel_hash="0",
        )  # fmt: skip


@pytest.mark.parametrize(
    "event_time", ["2024-05-01 12:00:00Z", "2024-05-01T12:00:00+00:00", "yesterday"]
)
def test_shard_outcomes_need_rfc3339_utc_event_times(event_time):
    with pytest.raises(ValueError, match="event_time"):
        ShardOutcomeRecord(
            run_id="r", shard_id=0, status="success", start_index=0, end_index_exclusive=1,
            event_time=event_time,
        )  # fmt: skip


def test_event_times_are_formatted_in_utc_with_milliseconds():
    berlin = dt.timezone(dt.timedelta(hours=2))
    moment = dt.datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=berlin)
    assert format_event_time(moment) == "2024-05-01T12:00:00.123Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_event_time(dt.datetime(2024, 5, 1, 12, 0))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.datetime(2024, 5, 1, 23, 59, tzinfo=dt.UTC), "2024-05-01"),
        ("2024-02-29", "2024-02-29"),
    ],
)
def test_run_dates_are_formatted_as_iso_dates(value, text):
    assert format_run_date(value) == text


@pytest.mark.parametrize(
    "value", ["2023-02-29", "2024-13-01", "2024-05-01T00:00", "２０２４-05-01"]
)
def test_run_dates_must_be_calendar_dates(value):
    with pytest.raises(InvalidRequest) as caught:
        format_run_date(value)
    assert caught.value.field == "run_date"


# -- the user docs stay true to the code --------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def test_the_contract_docs_list_every_field_dimension_and_pinned_value():
    from sweeplib.dimensions import DIMENSION_NAMES

    text = DOCS.read_text(encoding="utf-8")
    for name in DIMENSION_NAMES:
        assert f"| `{name}` |" in text
    for field in (f.name for f in dataclasses.fields(SweepRequest)):
        assert f"| `{field}` |" in text
    for field in (f.name for f in dataclasses.fields(ShardMessage)):
        assert f"`{field}`" in text
    assert DEMO_REQUEST_FINGERPRINT in text
    assert DEMO_CONFIG_FINGERPRINT in text
    assert canonical_json({"b": 1, "a": [1.0, True, None]}) in text


@pytest.mark.parametrize(
    "module_name",
    ["sweeplib.dimensions", "sweeplib.contracts", "sweeplib.planning", "sweeplib.cli.plan"],
)
def test_every_exported_name_exists_once(module_name):
    import importlib

    module = importlib.import_module(module_name)
    assert module.__all__, module_name
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name}"
    assert len(set(module.__all__)) == len(module.__all__)
