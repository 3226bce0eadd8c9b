"""Sweep-point resolution, effective parameters, health score (SIM_SPEC §8.5–8.7, §9.3)."""

from __future__ import annotations

import json
import math

import pytest

from sweeplib import dimensions, experiments
from sweeplib.contracts import canonical_json, sha256_hex
from sweeplib.dimensions import DIMENSIONS
from sweeplib.errors import InvalidRequest
from sweeplib.experiments import (
    HealthWeights,
    best_index,
    effective_parameters_document,
    effective_parameters_json,
    health_scores,
    resolve_point,
    run_point,
    scenario_for,
)
from sweeplib.planning import SweepPoint
from sweeplib.sim import MatchingAlgorithm, ScenarioParams, params


def test_defaults_come_from_scenario_params():
    params = resolve_point({}, seed=5)
    assert params == ScenarioParams(seed=5)
    assert params.resolved_end_time_ms == 10_800_000
    assert params.match_radius == 0  # preserved: sweeps without match_radius match same-cell only
    document = effective_parameters_document({}, params)["resolved_scenario_parameters"]
    assert document["matching_algorithm_type"] == "hungarian"
    assert document["batch_matching_enabled"] is True
    assert document["simulation_end_time_ms"] == 10_800_000
    assert document["epoch_ms"] == 0


def test_simulation_duration_hours_is_absolute():
    assert resolve_point({"simulation_duration_hours": 4}, 0).simulation_end_time_ms == 14_400_000
    assert resolve_point({"simulation_duration_hours": None}, 0).resolved_end_time_ms == 10_800_000


def test_values_map_onto_the_kernel_parameters():
    params = resolve_point(
        {
            "commission_rate": 0,
            "surge_enabled": True,
            "surge_radius_k": 2,
            "num_drivers": 40,
            "matching_algorithm_type": "Cost-Based",
            "traffic_profile": "BERLIN",
            "base_speed_kmh": 30,
            "epoch_ms": None,
            "eta_weight": 1,
        },
        seed=1,
    )
    assert params.pricing_config is not None
    assert params.pricing_config.commission_rate == 0.0
    assert isinstance(params.pricing_config.commission_rate, float)
    assert params.pricing_config.surge_enabled and params.pricing_config.surge_radius_k == 2
    assert params.pricing_config.base_fare == 2.5  # untouched pricing fields keep defaults
    assert params.num_drivers == 40 and params.num_riders == 500
    assert params.matching_algorithm_type is MatchingAlgorithm.COST_BASED
    assert params.traffic_profile == "berlin"
    assert params.base_speed_kmh == 30.0 and params.epoch_ms is None
    assert params.eta_weight == 1.0


@pytest.mark.parametrize(
    ("selected", "field"),
    [
        ({"unknown_dimension": 1}, "dimensions.unknown_dimension"),
        ({"num_riders": "500"}, "dimensions.num_riders"),
        ({"num_riders": 5.0}, "dimensions.num_riders"),
        ({"commission_rate": True}, "dimensions.commission_rate"),
        ({"commission_rate": 1.5}, "dimensions.commission_rate"),
        ({"matching_algorithm_type": "greedy"}, "dimensions.matching_algorithm_type"),
        ({"epoch_ms": -1}, "dimensions.epoch_ms"),
        ({"simulation_duration_hours": 0}, "dimensions.simulation_duration_hours"),
    ],
)
def test_bad_points_are_rejected_naming_the_dimension(selected, field):
    with pytest.raises(InvalidRequest) as caught:
        resolve_point(selected, 0)
    assert caught.value.field == field


SAMPLES = {
    "base_fare": 3,
    "base_speed_kmh": 42.5,
    "batch_interval_secs": 9,
    "batch_matching_enabled": False,
    "commission_rate": 0.25,
    "dynamic_congestion_enabled": True,
    "epoch_ms": 1_700_000_000_000,
    "eta_weight": 0.5,
    "match_radius": 4,
    "matching_algorithm_type": "simple",
    "num_drivers": 77,
    "num_riders": 333,
    "per_km_rate": 1.25,
    "simulation_duration_hours": 2,
    "surge_enabled": True,
    "surge_max_multiplier": 1.75,
    "surge_radius_k": 3,
    "traffic_profile": "berlin",
    "rng_layout": "original",
}


@pytest.mark.parametrize("name", sorted(DIMENSIONS))
def test_each_dimension_sets_its_target_through_its_spec(name):
    spec = DIMENSIONS[name]
    value = SAMPLES[name]
    scenario = scenario_for({name: value}, seed=1)
    group, _, field = spec.target.rpartition(".")
    owner = scenario.resolved_pricing if group == "pricing_config" else scenario
    assert getattr(owner, field) == spec.to_kernel(value)
    assert getattr(owner, field) != getattr(type(owner)(), field)  # not the default


def test_the_per_point_path_does_not_check_values_again(monkeypatch):
    def checked_again(*_args, **_kwargs):
        raise AssertionError("checked again")

    monkeypatch.setattr(dimensions, "validate_dimension_value", checked_again)
    monkeypatch.setattr(params, "_check_fields", checked_again)
    monkeypatch.setattr(params, "_check_types", checked_again)
    values = {"num_riders": 30, "num_drivers": 10, "match_radius": 3}
    point = experiments.simulate_point(SweepPoint(index=4, values=values, seed=7))
    assert point.result.events_processed > 0
    assert experiments.scenario_for(SAMPLES, seed=2).num_riders == 333


def test_a_point_given_by_hand_is_checked_before_it_runs():
    with pytest.raises(InvalidRequest) as caught:
        run_point({"commission_rate": 5}, seed=1)
    assert caught.value.field == "dimensions.commission_rate"
    with pytest.raises(InvalidRequest) as caught:
        run_point({"num_rider": 5}, seed=1)
    assert caught.value.field == "dimensions.num_rider"


def test_effective_parameters_json_keeps_the_contract_key_order():
    selected = {"num_riders": 700, "commission_rate": 0.2}
    params = resolve_point(selected, seed=42 ^ 3)
    text = effective_parameters_json(effective_parameters_document(selected, params))
    document = json.loads(text)
    assert list(document) == ["selected_dimensions", "resolved_scenario_parameters"]
    assert list(document["selected_dimensions"]) == ["commission_rate", "num_riders"]
    assert list(document["resolved_scenario_parameters"])[:5] == [
        "num_riders",
        "num_drivers",
        "initial_rider_count",
        "initial_driver_count",
        "seed",
    ]
    # The original's keys in its order, then this port's one addition (deviation 6).
    assert list(document["resolved_scenario_parameters"])[-4:] == [
        "dynamic_congestion_enabled",
        "base_speed_kmh",
        "spawn_weighting",
        "rng_layout",
    ]
    assert document["resolved_scenario_parameters"]["seed"] == 41
    assert document["resolved_scenario_parameters"]["traffic_profile"] == "None"
    assert document["resolved_scenario_parameters"]["route_provider_kind"] == "H3Grid"
    assert document["resolved_scenario_parameters"]["spawn_weighting"] == "Uniform"
    assert document["resolved_scenario_parameters"]["rng_layout"] == "independent"
    assert " " not in text


def test_run_point_fingerprints_the_canonical_document():
    point = run_point({"num_riders": 30, "num_drivers": 10, "match_radius": 3}, seed=7)
    assert point.parameter_fingerprint == sha256_hex(canonical_json(point.document))
    assert point.result.events_processed > 0
    again = run_point({"match_radius": 3, "num_drivers": 10, "num_riders": 30}, seed=7)
    assert again.parameter_fingerprint == point.parameter_fingerprint
    assert again.result.metrics == point.result.metrics
    other_seed = run_point({"num_riders": 30, "num_drivers": 10, "match_radius": 3}, seed=8)
    assert other_seed.parameter_fingerprint != point.parameter_fingerprint


def result(conversion, revenue, payouts, match, pickup, abandoned):
    return {
        "conversion_rate": conversion,
        "platform_revenue": revenue,
        "driver_payouts": payouts,
        "avg_time_to_match_ms": match,
        "avg_time_to_pickup_ms": pickup,
        "abandoned_quote_riders": abandoned,
    }


def test_health_score_prefers_the_clearly_better_result():
    worse = result(0.3, 100.0, 500.0, 60_000.0, 300_000.0, 50)
    better = result(0.8, 400.0, 1_500.0, 10_000.0, 60_000.0, 50)
    scores = health_scores([worse, better])
    assert scores[1] > scores[0]
    assert best_index(scores) == 1


def test_health_abandonment_term_keeps_the_original_double_negative():
    """Preserved quirk: fewer abandoned riders score lower."""
    few = result(0.5, 100.0, 100.0, 1.0, 1.0, 10)
    many = result(0.5, 100.0, 100.0, 1.0, 1.0, 90)
    scores = health_scores([few, many])
    assert scores[0] < scores[1]
    assert scores[1] - scores[0] == pytest.approx(0.20)


def test_normalisation_with_equal_values_is_one_half():
    same = result(0.5, 100.0, 100.0, 1.0, 1.0, 10)
    (score,) = health_scores([same], HealthWeights())
    assert score == pytest.approx(
        0.30 * 0.5 + 0.25 * 0.5 + 0.15 * 0.5 + 0.15 * 0.5 + 0.15 * 0.5 - 0.20 * 0.5
    )


def test_best_index_ties_go_to_the_last_and_nan_compares_equal():
    assert best_index([1.0, 3.0, 3.0, 2.0]) == 2
    assert best_index([1.0, math.nan]) == 1
    # Rust's max_by keeps the later value unless the earlier compares Greater:
    # 5 vs NaN → Equal → NaN; NaN vs 1 → Equal → 1.
    assert best_index([5.0, math.nan, 1.0]) == 2
    assert best_index([]) is None
