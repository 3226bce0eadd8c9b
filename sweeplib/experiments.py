"""Sweep points: scenario resolution, effective parameters, running, health score.

Resolution follows the original's serverless mapping (SIM_SPEC §9.3): the selected
dimension values are applied, each through its :class:`~sweeplib.dimensions.DimensionSpec`,
to ``ScenarioParams()`` defaults — so a sweep that does
not set ``match_radius`` matches only within the same H3 cell — pricing fields start
from a default ``PricingConfig``, and ``simulation_duration_hours`` is an **absolute**
end time (``h × 3,600,000`` ms), not "request window + h" as in the original's local
sweeps.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sweeplib.contracts import parameter_fingerprint
from sweeplib.dimensions import DIMENSIONS, JSONScalar, check_point
from sweeplib.planning import SweepPoint
from sweeplib.sim import (
    DEFAULT_MAX_STEPS,
    PricingConfig,
    ScenarioParams,
    SimulationResult,
    simulate,
)

__all__ = [
    "HealthWeights",
    "PointRun",
    "best_index",
    "effective_parameters_document",
    "effective_parameters_json",
    "health_scores",
    "resolve_point",
    "run_point",
    "scenario_for",
    "simulate_point",
]

_PRICING = "pricing_config."


def scenario_for(values: Mapping[str, JSONScalar], seed: int) -> ScenarioParams:
    """The kernel parameters of one sweep point, from **checked** dimension values.

    Each dimension's spec sets its kernel parameter (:attr:`DimensionSpec.target`,
    :attr:`DimensionSpec.to_kernel`) on ``ScenarioParams()`` defaults; pricing
    dimensions start from a default ``PricingConfig``. Nothing is checked again: the
    values come from a parsed request or message (or :func:`resolve_point`).

    Parameters
    ----------
    values
        Dimension name → JSON value, checked (a :class:`~sweeplib.planning.SweepPoint`'s,
        or :func:`~sweeplib.dimensions.check_point`'s).
    seed
        The point's seed (``request seed XOR point index``, unsigned 64-bit).
    """
    scenario: dict[str, Any] = {"seed": seed}
    pricing: dict[str, Any] = {}
    for name, value in values.items():
        spec = DIMENSIONS[name]
        if spec.target.startswith(_PRICING):
            pricing[spec.target.removeprefix(_PRICING)] = spec.to_kernel(value)
        else:
            scenario[spec.target] = spec.to_kernel(value)
    if pricing:
        scenario["pricing_config"] = PricingConfig.from_checked(**pricing)
    return ScenarioParams.from_checked(**scenario)


def resolve_point(selected: Mapping[str, Any], seed: int) -> ScenarioParams:
    """The kernel parameters of one point given by hand: its values are checked first.

    Raises
    ------
    InvalidRequest
        An unknown dimension name, or a value of the wrong JSON type or range;
        ``field`` names the dimension.
    """
    return scenario_for(check_point(selected), seed)


def effective_parameters_document(
    selected: Mapping[str, Any], params: ScenarioParams
) -> dict[str, Any]:
    """The ``effective_parameters_json`` document of SIM_SPEC §8.5 (keys in its order)."""
    pricing = params.resolved_pricing
    profile = params.traffic_profile
    if isinstance(profile, tuple):
        traffic: Any = {"Custom": list(profile)}
    else:
        traffic = "Berlin" if profile == "berlin" else "None"
    return {
        "selected_dimensions": {name: selected[name] for name in sorted(selected)},
        "resolved_scenario_parameters": {
            "num_riders": params.num_riders,
            "num_drivers": params.num_drivers,
            "initial_rider_count": params.initial_rider_count,
            "initial_driver_count": params.initial_driver_count,
            "seed": params.seed,
            "lat_min": params.lat_min,
            "lat_max": params.lat_max,
            "lng_min": params.lng_min,
            "lng_max": params.lng_max,
            "request_window_ms": params.request_window_ms,
            "driver_spread_ms": params.driver_spread_ms,
            "match_radius": params.match_radius,
            "min_trip_cells": params.min_trip_cells,
            "max_trip_cells": params.max_trip_cells,
            "epoch_ms": params.resolved_epoch_ms,
            "pricing_config": {
                "base_fare": pricing.base_fare,
                "per_km_rate": pricing.per_km_rate,
                "commission_rate": pricing.commission_rate,
                "surge_enabled": pricing.surge_enabled,
                "surge_radius_k": pricing.surge_radius_k,
                "surge_max_multiplier": pricing.surge_max_multiplier,
            },
            "simulation_end_time_ms": params.resolved_end_time_ms,
            "matching_algorithm_type": params.resolved_matching_algorithm.value,
            "batch_matching_enabled": params.resolved_batch_enabled,
            "batch_interval_secs": params.resolved_batch_interval_secs,
            "eta_weight": params.resolved_eta_weight,
            "route_provider_kind": params.route_provider_kind,
            "traffic_profile": traffic,
            "congestion_zones_enabled": params.congestion_zones_enabled,
            "dynamic_congestion_enabled": params.dynamic_congestion_enabled,
            "base_speed_kmh": params.base_speed_kmh,
            "spawn_weighting": "Uniform"
            if params.spawn_weighting == "uniform"
            else "BerlinHotspots",
            "rng_layout": params.rng_layout,
        },
    }


def effective_parameters_json(document: Mapping[str, Any]) -> str:
    """Compact JSON in the document's own key order (the stored column value)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class PointRun:
    """One simulated sweep point and everything the datasets need from it."""

    params: ScenarioParams
    document: dict[str, Any]
    document_json: str
    parameter_fingerprint: str
    result: SimulationResult
    wall_seconds: float


def run_point(
    selected: Mapping[str, Any], seed: int, *, max_steps: int = DEFAULT_MAX_STEPS
) -> PointRun:
    """Check the dimension values of one point given by hand, then simulate it.

    Raises
    ------
    InvalidRequest
        An unknown dimension name, or a value of the wrong JSON type or range;
        ``field`` names the dimension.
    """
    return _run(check_point(selected), seed, max_steps)


def simulate_point(point: SweepPoint, *, max_steps: int = DEFAULT_MAX_STEPS) -> PointRun:
    """Simulate a point of a parsed request or message (:func:`~sweeplib.planning.shard_points`):
    its values were checked there and are trusted here."""
    return _run(point.values, point.seed, max_steps)


def _run(selected: Mapping[str, JSONScalar], seed: int, max_steps: int) -> PointRun:
    params = scenario_for(selected, seed)
    document = effective_parameters_document(selected, params)
    started = time.perf_counter()
    result = simulate(params, max_steps=max_steps)
    return PointRun(
        params=params,
        document=document,
        document_json=effective_parameters_json(document),
        parameter_fingerprint=parameter_fingerprint(document),
        result=result,
        wall_seconds=time.perf_counter() - started,
    )


# -- health score and ranking (SIM_SPEC §8.6–8.7) ---------------------------------------


@dataclass(frozen=True)
class HealthWeights:
    """Weights of the original's marketplace health score.

    Note the preserved quirk: ``abandonment`` is negative *and* applied to an
    already inverted normalisation, so results with **fewer** abandoned riders score
    **lower** (best −0.20, worst 0).
    """

    conversion: float = 0.30
    revenue: float = 0.25
    driver_payouts: float = 0.15
    time_to_match: float = 0.15
    time_to_pickup: float = 0.15
    abandonment: float = -0.20


def _normalize(value: float, low: float, high: float) -> float:
    if high == low:
        return 0.5
    return min(max((value - low) / (high - low), 0.0), 1.0)


def health_scores(
    results: Sequence[Mapping[str, float]], weights: HealthWeights | None = None
) -> list[float]:
    """Health score of each result, normalised over the set's min/max."""
    weights = weights or HealthWeights()
    if not results:
        return []

    def bounds(name: str) -> tuple[float, float]:
        values = [float(result[name]) for result in results]
        return min(values), max(values)

    conversion = bounds("conversion_rate")
    revenue = bounds("platform_revenue")
    payouts = bounds("driver_payouts")
    match = bounds("avg_time_to_match_ms")
    pickup = bounds("avg_time_to_pickup_ms")
    abandoned = bounds("abandoned_quote_riders")
    scores = []
    for result in results:
        scores.append(
            weights.conversion * _normalize(result["conversion_rate"], *conversion)
            + weights.revenue * _normalize(result["platform_revenue"], *revenue)
            + weights.driver_payouts * _normalize(result["driver_payouts"], *payouts)
            + weights.time_to_match * (1.0 - _normalize(result["avg_time_to_match_ms"], *match))
            + weights.time_to_pickup * (1.0 - _normalize(result["avg_time_to_pickup_ms"], *pickup))
            + weights.abandonment * (1.0 - _normalize(result["abandoned_quote_riders"], *abandoned))
        )
    return scores


def best_index(scores: Sequence[float]) -> int | None:
    """Index of the best score: the **last** of equal maxima; NaN compares as equal.

    This is Rust's ``Iterator::max_by(partial_cmp.unwrap_or(Equal))``.
    """
    best: int | None = None
    for index, score in enumerate(scores):
        if best is None:
            best = index
            continue
        current = scores[best]
        greater = not (math.isnan(current) or math.isnan(score)) and current > score
        if not greater:
            best = index
    return best
