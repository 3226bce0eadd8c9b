"""Scenario parameters: the kernel's only input (SIM_SPEC §3).

Field names and defaults are those of the original ``ScenarioParams`` and its
nested configs. ``None`` means "use the documented default", exactly as the
original's ``Option`` fields do; the ``resolved_*`` helpers apply those defaults.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_END_AFTER_WINDOW_MS",
    "DriverDecisionConfig",
    "MatchingAlgorithm",
    "PricingConfig",
    "RiderQuoteConfig",
    "ScenarioError",
    "ScenarioParams",
    "TrafficProfile",
]

U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1
I64_MAX = (1 << 63) - 1

# Offsets added to the scenario seed to derive per-purpose seeds (SIM_SPEC §7.2).
QUOTE_SEED_OFFSET = 0x711073BEEF
DRIVER_SEED_OFFSET = 0xDEADBEEF
CANCEL_SEED_OFFSET = 0xCAFEBABE
SPEED_SEED_XOR = 0x5EEDCAFE

#: Without an explicit end time the runner stops at request window + 2 h.
DEFAULT_END_AFTER_WINDOW_MS = 2 * 3_600_000


class ScenarioError(ValueError):
    """Scenario parameters the kernel cannot run (it would misbehave or crash)."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class MatchingAlgorithm(enum.Enum):
    SIMPLE = "simple"
    COST_BASED = "cost_based"
    HUNGARIAN = "hungarian"


#: ``"none"``, ``"berlin"`` or a custom tuple of 24 hourly speed factors.
TrafficProfile = Literal["none", "berlin"] | tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PricingConfig:
    base_fare: float = 2.50
    per_km_rate: float = 1.50
    commission_rate: float = 0.0
    surge_enabled: bool = False
    surge_radius_k: int = 1
    surge_max_multiplier: float = 2.0


@dataclass(frozen=True, slots=True)
class RiderQuoteConfig:
    max_quote_rejections: int = 3
    re_quote_delay_secs: int = 10
    accept_probability: float = 0.8
    max_willingness_to_pay: float = 100.0
    max_acceptable_eta_ms: int = 600_000
    seed: int = 0


@dataclass(frozen=True, slots=True)
class DriverDecisionConfig:
    base_acceptance_score: float = 1.0
    fare_weight: float = 0.1
    pickup_distance_penalty: float = -2.0
    trip_distance_bonus: float = 0.5
    earnings_progress_weight: float = -0.5
    fatigue_penalty: float = -1.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ScenarioParams:
    """Everything one simulation run depends on (SIM_SPEC §3.1)."""

    num_riders: int = 500
    num_drivers: int = 100
    initial_rider_count: int = 0
    initial_driver_count: int = 0
    seed: int | None = None
    lat_min: float = 52.34
    lat_max: float = 52.68
    lng_min: float = 13.08
    lng_max: float = 13.76
    request_window_ms: int = 3_600_000
    driver_spread_ms: int = 3_600_000
    match_radius: int = 0
    min_trip_cells: int = 5
    max_trip_cells: int = 60
    epoch_ms: int | None = None
    pricing_config: PricingConfig | None = None
    rider_quote_config: RiderQuoteConfig | None = None
    driver_decision_config: DriverDecisionConfig | None = None
    simulation_end_time_ms: int | None = None
    matching_algorithm_type: MatchingAlgorithm | None = None
    batch_matching_enabled: bool | None = None
    batch_interval_secs: int | None = None
    eta_weight: float | None = None
    route_provider_kind: Literal["H3Grid"] = "H3Grid"
    traffic_profile: TrafficProfile = "none"
    congestion_zones_enabled: bool = False
    dynamic_congestion_enabled: bool = False
    base_speed_kmh: float | None = None
    spawn_weighting: Literal["uniform", "berlin_hotspots"] = "uniform"

    def replace(self, **changes: object) -> ScenarioParams:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- resolved values (the original's ``unwrap_or`` defaults) -----------------

    @property
    def scenario_seed(self) -> int:
        """S of SIM_SPEC §7.2 (``None`` → 0)."""
        return 0 if self.seed is None else self.seed & U64_MAX

    @property
    def resolved_pricing(self) -> PricingConfig:
        return self.pricing_config or PricingConfig()

    @property
    def resolved_rider_quote(self) -> RiderQuoteConfig:
        if self.rider_quote_config is not None:
            return self.rider_quote_config
        return RiderQuoteConfig(seed=(self.scenario_seed + QUOTE_SEED_OFFSET) & U64_MAX)

    @property
    def resolved_driver_decision(self) -> DriverDecisionConfig:
        if self.driver_decision_config is not None:
            return self.driver_decision_config
        return DriverDecisionConfig(seed=(self.scenario_seed + DRIVER_SEED_OFFSET) & U64_MAX)

    @property
    def resolved_matching_algorithm(self) -> MatchingAlgorithm:
        return self.matching_algorithm_type or MatchingAlgorithm.HUNGARIAN

    @property
    def resolved_batch_enabled(self) -> bool:
        return True if self.batch_matching_enabled is None else self.batch_matching_enabled

    @property
    def resolved_batch_interval_secs(self) -> int:
        return 5 if self.batch_interval_secs is None else self.batch_interval_secs

    @property
    def resolved_eta_weight(self) -> float:
        return 0.1 if self.eta_weight is None else self.eta_weight

    @property
    def resolved_epoch_ms(self) -> int:
        return 0 if self.epoch_ms is None else self.epoch_ms

    @property
    def resolved_end_time_ms(self) -> int:
        if self.simulation_end_time_ms is not None:
            return self.simulation_end_time_ms
        return self.request_window_ms + DEFAULT_END_AFTER_WINDOW_MS

    @property
    def spatial_index_enabled(self) -> bool:
        """The original only builds its spatial index above 200 configured entities."""
        return self.num_riders + self.num_drivers > 200

    def validate(self) -> None:
        """Reject values the original kernel would crash on or that make no sense.

        Raises
        ------
        ScenarioError
            Naming the first offending field.
        """
        for name in (
            "num_riders",
            "num_drivers",
            "initial_rider_count",
            "initial_driver_count",
            "request_window_ms",
            "driver_spread_ms",
            "min_trip_cells",
            "max_trip_cells",
        ):
            _check_int(name, getattr(self, name), 0, U64_MAX)
        _check_int("match_radius", self.match_radius, 0, U32_MAX)
        if self.seed is not None:
            _check_int("seed", self.seed, 0, U64_MAX)
        if self.epoch_ms is not None:
            _check_int("epoch_ms", self.epoch_ms, 0, I64_MAX)
        if self.simulation_end_time_ms is not None:
            _check_int("simulation_end_time_ms", self.simulation_end_time_ms, 0, U64_MAX)
        if self.batch_interval_secs is not None:
            _check_int("batch_interval_secs", self.batch_interval_secs, 1, U64_MAX)
        if self.eta_weight is not None:
            _check_number("eta_weight", self.eta_weight, low=0.0)
        if self.base_speed_kmh is not None:
            _check_number("base_speed_kmh", self.base_speed_kmh, low=0.0, low_open=True)
        for name in ("lat_min", "lat_max", "lng_min", "lng_max"):
            _check_number(name, getattr(self, name))
        pricing = self.resolved_pricing
        _check_number("pricing_config.base_fare", pricing.base_fare, low=0.0)
        _check_number("pricing_config.per_km_rate", pricing.per_km_rate, low=0.0)
        _check_number("pricing_config.commission_rate", pricing.commission_rate, 0.0, 1.0)
        _check_number("pricing_config.surge_max_multiplier", pricing.surge_max_multiplier, 1.0)
        _check_int("pricing_config.surge_radius_k", pricing.surge_radius_k, 0, U32_MAX)
        profile = self.traffic_profile
        if isinstance(profile, tuple):
            if len(profile) != 24:
                raise ScenarioError("traffic_profile", "a custom profile needs 24 hourly factors")
            for factor in profile:
                _check_number("traffic_profile", factor, low=0.0)
        elif profile not in ("none", "berlin"):
            raise ScenarioError("traffic_profile", f"unknown profile {profile!r}")
        if self.spawn_weighting not in ("uniform", "berlin_hotspots"):
            raise ScenarioError("spawn_weighting", f"unknown weighting {self.spawn_weighting!r}")
        if self.route_provider_kind != "H3Grid":
            raise ScenarioError("route_provider_kind", "only H3Grid is available")


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(name, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ScenarioError(name, f"must be in [{low}, {high}], got {value}")


def _check_number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(name, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ScenarioError(name, f"must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ScenarioError(name, f"must be {bound}, got {value}")
    if high is not None and value > high:
        raise ScenarioError(name, f"must be <= {high}, got {value}")
