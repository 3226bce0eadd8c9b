"""The dimension catalogue: names, strict JSON types, ranges, canonical spellings."""

from __future__ import annotations

import dataclasses

import pytest

from sweeplib.checks import describe_value
from sweeplib.dimensions import (
    DIMENSION_NAMES,
    DIMENSIONS,
    check_point,
    validate_dimension_name,
    validate_dimension_value,
)
from sweeplib.errors import InvalidRequest
from sweeplib.sim import PARAMETER_CHECKS, MatchingAlgorithm, PricingConfig, ScenarioParams
from sweeplib.sim.params import MAX_AGENTS, MAX_SURGE_RADIUS_K

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
I64_MAX = 2**63 - 1

EXPECTED_NAMES = (
    "base_fare",
    "base_speed_kmh",
    "batch_interval_secs",
    "batch_matching_enabled",
    "commission_rate",
    "dynamic_congestion_enabled",
    "epoch_ms",
    "eta_weight",
    "match_radius",
    "matching_algorithm_type",
    "num_drivers",
    "num_riders",
    "per_km_rate",
    "rng_layout",
    "simulation_duration_hours",
    "surge_enabled",
    "surge_max_multiplier",
    "surge_radius_k",
    "traffic_profile",
)


def test_the_catalogue_is_exactly_the_contract_names_sorted():
    assert DIMENSION_NAMES == EXPECTED_NAMES
    assert tuple(DIMENSIONS) == EXPECTED_NAMES


def test_every_dimension_is_documented():
    for spec in DIMENSIONS.values():
        assert spec.value_type
        assert len(spec.description) > 10


def test_every_dimension_sets_a_kernel_parameter():
    scenario = {f.name for f in dataclasses.fields(ScenarioParams)}
    pricing = {f"pricing_config.{f.name}" for f in dataclasses.fields(PricingConfig)}
    for spec in DIMENSIONS.values():
        assert spec.target in scenario | pricing, spec.name


def test_ranges_are_the_kernels_own_written_once():
    """A dimension's range is the kernel's (only whether null is accepted may differ)."""
    derived = {"simulation_duration_hours", "matching_algorithm_type", "traffic_profile"}
    assert DIMENSIONS["rng_layout"].check is PARAMETER_CHECKS["rng_layout"]
    derived.add("rng_layout")
    for spec in DIMENSIONS.values():
        if spec.name in derived:
            continue
        kernel = PARAMETER_CHECKS[spec.target]
        assert dataclasses.replace(kernel, nullable=spec.check.nullable) == spec.check, spec.name
    hours = DIMENSIONS["simulation_duration_hours"].check
    assert hours.high * 3_600_000 <= PARAMETER_CHECKS["simulation_end_time_ms"].high


VALID = [
    ("num_riders", 0),
    ("num_riders", 500),
    ("num_riders", MAX_AGENTS),
    ("num_drivers", MAX_AGENTS),
    ("match_radius", U32_MAX),  # matching tests occupied cells when the disk is larger
    ("surge_radius_k", 0),
    ("surge_radius_k", MAX_SURGE_RADIUS_K),
    ("batch_interval_secs", 1),
    ("commission_rate", 0),
    ("commission_rate", 1),
    ("commission_rate", 0.25),
    ("commission_rate", -0.0),
    ("base_fare", 0),
    ("base_fare", 2.5),
    ("per_km_rate", 1e300),
    ("eta_weight", 0.0),
    ("surge_max_multiplier", 1),
    ("surge_max_multiplier", 4.5),
    ("surge_enabled", True),
    ("batch_matching_enabled", False),
    ("dynamic_congestion_enabled", True),
    ("epoch_ms", None),
    ("epoch_ms", 0),
    ("epoch_ms", I64_MAX),
    ("simulation_duration_hours", None),
    ("simulation_duration_hours", 1),
    ("simulation_duration_hours", U64_MAX // 3_600_000),
    ("base_speed_kmh", None),
    ("base_speed_kmh", 0.5),
    ("base_speed_kmh", 40),
    ("matching_algorithm_type", "simple"),
    ("matching_algorithm_type", "HUNGARIAN"),
    ("matching_algorithm_type", "Cost-Based"),
    ("matching_algorithm_type", "costbased"),
    ("matching_algorithm_type", "cost_based"),
    ("traffic_profile", "none"),
    ("traffic_profile", "Berlin"),
]


@pytest.mark.parametrize(("name", "value"), VALID)
def test_valid_values_are_accepted(name, value):
    validate_dimension_value(name, value, 0)


INVALID = [
    # unsigned integers: strict JSON types
    ("num_riders", "2", "must be an unsigned integer, got string '2'"),
    ("num_riders", 2.0, "must be an unsigned integer, got number 2.0"),
    ("num_riders", True, "must be an unsigned integer, got boolean true"),
    ("num_riders", None, "must be an unsigned integer, got null"),
    ("num_riders", -1, "must be an unsigned integer, got integer -1"),
    # counts and radii the kernel can honour (issue 15, item 4)
    ("num_riders", MAX_AGENTS + 1, f"must be ≤ {MAX_AGENTS}, got {MAX_AGENTS + 1}"),
    ("num_riders", U64_MAX, f"must be ≤ {MAX_AGENTS}, got {U64_MAX}"),
    ("num_drivers", 10**8, f"must be ≤ {MAX_AGENTS}, got {10**8}"),
    ("surge_radius_k", U32_MAX, f"must be ≤ {MAX_SURGE_RADIUS_K}, got {U32_MAX}"),
    ("num_drivers", [100], "must be an unsigned integer, got array"),
    ("num_drivers", {"a": 1}, "must be an unsigned integer, got object"),
    ("match_radius", U32_MAX + 1, f"must be ≤ {U32_MAX}, got {U32_MAX + 1}"),
    ("surge_radius_k", False, "must be an unsigned integer, got boolean false"),
    ("batch_interval_secs", 0, "must be ≥ 1, got 0"),
    ("batch_interval_secs", 5.0, "must be an unsigned integer, got number 5.0"),
    # numbers
    ("commission_rate", "0.2", "must be a number, got string '0.2'"),
    ("commission_rate", True, "must be a number, got boolean true"),
    ("commission_rate", 1.5, "must be in [0, 1], got 1.5"),
    ("commission_rate", -0.1, "must be in [0, 1], got -0.1"),
    ("commission_rate", 2, "must be in [0, 1], got 2"),
    ("commission_rate", float("nan"), "must be a finite number, got NaN"),
    ("base_fare", float("inf"), "must be a finite number, got Infinity"),
    ("per_km_rate", float("-inf"), "must be a finite number, got -Infinity"),
    ("base_fare", -0.01, "must be ≥ 0, got -0.01"),
    ("per_km_rate", -1, "must be ≥ 0, got -1"),
    ("eta_weight", -0.5, "must be ≥ 0, got -0.5"),
    ("eta_weight", None, "must be a number, got null"),
    ("surge_max_multiplier", 0.99, "must be ≥ 1, got 0.99"),
    ("base_fare", 10**400, "must be a number representable as a 64-bit float"),
    # booleans
    ("surge_enabled", 1, "must be a boolean, got integer 1"),
    ("batch_matching_enabled", "true", "must be a boolean, got string 'true'"),
    ("dynamic_congestion_enabled", None, "must be a boolean, got null"),
    # nullable
    ("epoch_ms", -1, "must be an unsigned integer or null, got integer -1"),
    ("epoch_ms", I64_MAX + 1, f"must be ≤ {I64_MAX}"),
    ("epoch_ms", 1.5, "must be an unsigned integer or null, got number 1.5"),
    ("simulation_duration_hours", 0, "must be ≥ 1, got 0"),
    ("simulation_duration_hours", "8", "must be an unsigned integer or null, got string '8'"),
    ("simulation_duration_hours", U64_MAX // 3_600_000 + 1, "must be ≤"),
    ("base_speed_kmh", 0, "must be > 0, got 0"),
    ("base_speed_kmh", -3.0, "must be > 0, got -3.0"),
    ("base_speed_kmh", False, "must be a number or null, got boolean false"),
    # strings
    (
        "matching_algorithm_type",
        "greedy",
        "must be one of simple, cost_based, hungarian (case-insensitive), got 'greedy'",
    ),
    ("matching_algorithm_type", " simple", "got ' simple'"),
    ("matching_algorithm_type", "cost based", "got 'cost based'"),
    ("matching_algorithm_type", 1, "must be one of simple, cost_based, hungarian"),
    ("matching_algorithm_type", None, "got null"),
    ("traffic_profile", "paris", "must be one of none, berlin (case-insensitive), got 'paris'"),
    ("traffic_profile", None, "must be one of none, berlin"),
    # Kelvin sign: lower() maps it to ASCII 'k'; only ASCII spellings are accepted.
    ("traffic_profile", "\u212abERLIN", "must be one of none, berlin"),
]


@pytest.mark.parametrize(("name", "value", "reason"), INVALID)
def test_invalid_values_are_refused_naming_the_value(name, value, reason):
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_value(name, value, 3)
    assert caught.value.field == f"dimensions.{name}[3]"
    assert reason in caught.value.reason


def test_without_an_index_the_field_is_the_dimension():
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_value("num_riders", "2")
    assert caught.value.field == "dimensions.num_riders"


def test_an_unknown_name_lists_the_accepted_names():
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_value("rider_mood", 1, 0)
    assert caught.value.field == "dimensions.rider_mood"
    assert caught.value.reason == "unknown dimension; accepted: " + ", ".join(EXPECTED_NAMES)


def test_a_name_must_be_a_string():
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_name(3)
    assert caught.value.field == "dimensions"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("simple", "simple"),
        ("Simple", "simple"),
        ("cost_based", "cost_based"),
        ("costbased", "cost_based"),
        ("cost-based", "cost_based"),
        ("COST-BASED", "cost_based"),
        ("CostBased", "cost_based"),
        ("hungarian", "hungarian"),
        ("Hungarian", "hungarian"),
    ],
)
def test_matching_algorithm_spellings_map_to_the_kernel_names(spelling, canonical):
    validate_dimension_value("matching_algorithm_type", spelling)
    to_kernel = DIMENSIONS["matching_algorithm_type"].to_kernel
    assert to_kernel(spelling) is MatchingAlgorithm(canonical)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("none", "none"), ("None", "none"), ("BERLIN", "berlin"), ("berlin", "berlin")],
)
def test_traffic_profile_spellings_map_to_the_kernel_names(spelling, canonical):
    validate_dimension_value("traffic_profile", spelling)
    assert DIMENSIONS["traffic_profile"].to_kernel(spelling) == canonical


def test_unknown_spellings_are_refused_when_checked():
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_value("matching_algorithm_type", "greedy")
    assert caught.value.field == "dimensions.matching_algorithm_type"
    assert "got 'greedy'" in caught.value.reason
    with pytest.raises(InvalidRequest) as caught:
        validate_dimension_value("traffic_profile", "custom")
    assert caught.value.field == "dimensions.traffic_profile"


def test_a_point_given_by_hand_is_checked_and_sorted():
    assert list(check_point({"num_riders": 5, "commission_rate": 0.5})) == [
        "commission_rate",
        "num_riders",
    ]
    with pytest.raises(InvalidRequest) as caught:
        check_point({"num_riders": 5, "commission_rate": 2})
    assert caught.value.field == "dimensions.commission_rate"
    with pytest.raises(InvalidRequest) as caught:
        check_point({"rider_mood": 1})
    assert caught.value.field == "dimensions.rider_mood"


@pytest.mark.parametrize(
    ("value", "description"),
    [
        (None, "null"),
        (True, "boolean true"),
        (7, "integer 7"),
        (10**40, "integer <41 digits>"),
        (-(10**40), "integer -<41 digits>"),
        (0.5, "number 0.5"),
        ("x", "string 'x'"),
        ("y" * 100, "string '" + "y" * 40 + "…'"),
        ([1], "array"),
        ({}, "object"),
    ],
)
def test_values_are_described_by_json_type(value, description):
    assert describe_value(value) == description
