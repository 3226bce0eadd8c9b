"""Properties of validation, planning and the point mapping, for any valid request (hypothesis)."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sweeplib.contracts import (
    ShardMessage,
    canonical_json,
    config_fingerprint,
    parse_sweep_request,
    request_fingerprint,
)
from sweeplib.dimensions import DIMENSION_NAMES, validate_dimension_value
from sweeplib.errors import InvalidRequest, PlanTooLarge
from sweeplib.planning import (
    compute_shard_plan,
    point_index,
    point_seed,
    point_values,
    shard_messages,
    total_points,
)
from sweeplib.sim.params import MAX_AGENTS, MAX_SURGE_RADIUS_K

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1


def finite_floats(low: float, high: float | None = None, *, exclude_low: bool = False):
    return st.floats(
        min_value=low,
        max_value=high,
        exclude_min=exclude_low,
        allow_nan=False,
        allow_infinity=False,
    )


def any_case(words: list[str]):
    return st.sampled_from(words).flatmap(
        lambda word: st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
            lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
        )
    )


VALID_VALUES = {
    "num_riders": st.integers(0, MAX_AGENTS),
    "num_drivers": st.integers(0, MAX_AGENTS),
    "match_radius": st.integers(0, U32_MAX),
    "surge_radius_k": st.integers(0, MAX_SURGE_RADIUS_K),
    "batch_interval_secs": st.integers(1, U64_MAX),
    "commission_rate": finite_floats(0.0, 1.0) | st.integers(0, 1),
    "base_fare": finite_floats(0.0) | st.integers(0, 10**9),
    "per_km_rate": finite_floats(0.0) | st.integers(0, 10**9),
    "eta_weight": finite_floats(0.0) | st.integers(0, 10**9),
    "surge_max_multiplier": finite_floats(1.0) | st.integers(1, 10**9),
    "surge_enabled": st.booleans(),
    "batch_matching_enabled": st.booleans(),
    "dynamic_congestion_enabled": st.booleans(),
    "epoch_ms": st.none() | st.integers(0, I64_MAX),
    "simulation_duration_hours": st.none() | st.integers(1, U64_MAX // 3_600_000),
    "base_speed_kmh": st.none() | finite_floats(0.0, exclude_low=True) | st.integers(1, 10**6),
    "matching_algorithm_type": any_case(
        ["simple", "cost_based", "costbased", "cost-based", "hungarian"]
    ),
    "traffic_profile": any_case(["none", "berlin"]),
    "rng_layout": any_case(["independent", "original"]),
}


def test_there_is_a_strategy_for_every_dimension():
    assert sorted(VALID_VALUES) == list(DIMENSION_NAMES)


@st.composite
def dimensions(draw, max_names: int = 4, max_values: int = 5):
    names = draw(
        st.lists(st.sampled_from(DIMENSION_NAMES), min_size=1, max_size=max_names, unique=True)
    )
    return {
        name: draw(st.lists(VALID_VALUES[name], min_size=1, max_size=max_values)) for name in names
    }


@st.composite
def request_bodies(draw):
    body = {
        "run_id": draw(
            st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True).filter(
                lambda s: set(s) != {"."}
            )
        ),
        "dimensions": draw(dimensions()),
        "seed": draw(st.integers(-(2**63), I64_MAX)),
        "failure_injection_shards": draw(st.lists(st.integers(0, 50), max_size=5)),
    }
    if draw(st.booleans()):
        body["shard_count"] = draw(st.integers(1, 2000))
    else:
        body["shard_size"] = draw(st.integers(1, 2000))
    return body


# -- validation ---------------------------------------------------------------------------------


@given(data=st.data(), name=st.sampled_from(DIMENSION_NAMES))
def test_every_valid_value_is_accepted(data, name):
    validate_dimension_value(name, data.draw(VALID_VALUES[name]), 0)


UNSIGNED = ["num_riders", "num_drivers", "match_radius", "surge_radius_k", "batch_interval_secs"]
NUMBERS = ["commission_rate", "base_fare", "per_km_rate", "eta_weight", "surge_max_multiplier"]
BOOLEANS = ["surge_enabled", "batch_matching_enabled", "dynamic_congestion_enabled"]


@given(
    name=st.sampled_from([*UNSIGNED, "epoch_ms", "simulation_duration_hours"]), value=st.floats()
)
def test_floats_are_never_unsigned_integers_even_when_integral(name, value):
    with pytest.raises(InvalidRequest):
        validate_dimension_value(name, value, 0)


@given(name=st.sampled_from(UNSIGNED + NUMBERS), value=st.booleans() | st.text())
def test_booleans_and_strings_are_never_numbers(name, value):
    with pytest.raises(InvalidRequest):
        validate_dimension_value(name, value, 0)


@given(name=st.sampled_from(BOOLEANS), value=st.integers() | st.floats() | st.text() | st.none())
def test_only_true_and_false_are_booleans(name, value):
    with pytest.raises(InvalidRequest):
        validate_dimension_value(name, value, 0)


@given(
    name=st.sampled_from([*NUMBERS, "base_speed_kmh"]),
    value=st.sampled_from([math.nan, math.inf, -math.inf]),
)
def test_non_finite_numbers_are_refused(name, value):
    with pytest.raises(InvalidRequest, match="finite"):
        validate_dimension_value(name, value, 0)


@given(body=request_bodies())
def test_any_valid_request_parses_and_survives_its_json_dict(body):
    request = parse_sweep_request(body)
    assert parse_sweep_request(json.loads(canonical_json(request.to_json_dict()))) == request
    assert list(request.dimensions) == sorted(body["dimensions"])
    assert list(request.failure_injection_shards) == sorted(set(body["failure_injection_shards"]))


@given(body=request_bodies(), shuffled=st.randoms())
def test_fingerprints_do_not_depend_on_key_order(body, shuffled):
    items = list(body["dimensions"].items())
    shuffled.shuffle(items)
    reordered = {**body, "dimensions": dict(items)}
    first, second = parse_sweep_request(body), parse_sweep_request(reordered)
    assert request_fingerprint(first) == request_fingerprint(second)
    assert config_fingerprint(first) == config_fingerprint(second)


# -- shard plans --------------------------------------------------------------------------------


@st.composite
def sized_requests(draw):
    lengths = draw(st.lists(st.integers(1, 80), min_size=1, max_size=3))
    assume(math.prod(lengths) <= 200_000)
    names = ["match_radius", "num_drivers", "num_riders"][: len(lengths)]
    body = {
        "run_id": "prop",
        "dimensions": {name: list(range(n)) for name, n in zip(names, lengths, strict=True)},
        "max_shards": draw(st.integers(1, 2_000)),
    }
    if draw(st.booleans()):
        body["shard_count"] = draw(st.integers(1, 2_000))
    else:
        body["shard_size"] = draw(st.integers(1, 250_000))
    return parse_sweep_request(body)


@settings(max_examples=300)
@given(request=sized_requests())
def test_a_plan_covers_every_point_exactly_once_in_balanced_contiguous_shards(request):
    total = request.total_points
    if request.shard_count is not None:
        expected_count = min(request.shard_count, total)
    else:
        expected_count = -(-total // request.shard_size)
    if expected_count > min(request.max_shards, 1_000):
        with pytest.raises(PlanTooLarge) as caught:
            compute_shard_plan(request)
        assert caught.value.field == ("shard_count" if request.shard_count else "shard_size")
        return
    plan = compute_shard_plan(request)
    assert plan.total_points == total
    assert plan.shard_count == expected_count == len(plan.shards)
    assert plan.shard_count <= min(request.max_shards, 1_000)
    assert [s.shard_id for s in plan.shards] == list(range(plan.shard_count))
    assert plan.shards[0].start_index == 0
    assert plan.shards[-1].end_index_exclusive == total
    for previous, current in itertools.pairwise(plan.shards):
        assert previous.end_index_exclusive == current.start_index
    sizes = [s.size for s in plan.shards]
    assert min(sizes) >= 1
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the larger shards come first
    assert sum(sizes) == total


# -- the point mapping ---------------------------------------------------------------------------


@st.composite
def distinct_dimensions(draw):
    names = draw(st.lists(st.sampled_from(UNSIGNED), min_size=1, max_size=4, unique=True))
    return {
        name: draw(st.lists(st.integers(0, 1000), min_size=1, max_size=4, unique=True))
        for name in names
    }


@given(dims=distinct_dimensions())
def test_the_point_mapping_is_a_bijection_in_itertools_product_order(dims):
    total = total_points(dims)
    points = [tuple(point_values(dims, i).values()) for i in range(total)]
    assert points == list(itertools.product(*(dims[name] for name in sorted(dims))))
    assert len(set(points)) == total
    for index in range(total):
        assert point_index(dims, point_values(dims, index)) == index


@given(dims=dimensions(max_values=6), data=st.data())
def test_every_index_decodes_to_one_listed_value_per_dimension(dims, data):
    index = data.draw(st.integers(0, total_points(dims) - 1))
    values = point_values(dims, index)
    assert list(values) == sorted(dims)
    for name, value in values.items():
        assert any(type(v) is type(value) and v == value for v in dims[name])


@given(seed=st.integers(-(2**63), I64_MAX), index=st.integers(0, U64_MAX))
def test_point_seed_is_an_unsigned_xor_that_undoes_itself(seed, index):
    derived = point_seed(seed, index)
    assert 0 <= derived <= U64_MAX
    assert derived ^ index == seed % 2**64


# -- messages ------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(body=request_bodies())
def test_every_planned_message_passes_the_strict_decoder(body):
    request = parse_sweep_request({**body, "max_shards": 1000})
    try:
        plan = compute_shard_plan(request)
    except PlanTooLarge:
        return
    for message in shard_messages(request, plan, "2024-05-01"):
        assert ShardMessage.from_json(message.to_json()) == message
