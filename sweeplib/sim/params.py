"""Scenario parameters: the kernel's only input (SIM_SPEC §3), checked when constructed.

Field names and defaults are those of the original ``ScenarioParams`` and its
nested configs. ``None`` means "use the documented default", exactly as the
original's ``Option`` fields do; the ``resolved_*`` helpers apply those defaults.

:data:`PARAMETER_CHECKS` is the one table of the values the kernel can run; a
``ScenarioParams`` (or ``PricingConfig``) checks its fields against it once, when it is
constructed, and raises :class:`~sweeplib.errors.ScenarioError` naming the field. The
sweep dimensions (:mod:`sweeplib.dimensions`) reuse the same entries. Values checked
already — a sweep point decoded from a validated request — are assembled with
:meth:`ScenarioParams.from_checked`, which trusts them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from sweeplib.checks import Check, Choice, Flag, IntRange, RealRange, describe_value
from sweeplib.errors import ScenarioError
from sweeplib.sim.rng import RNG_LAYOUTS, RngLayout, StreamSeeds, stream_seeds

__all__ = [
    "DEFAULT_END_AFTER_WINDOW_MS",
    "MAX_AGENTS",
    "MAX_SURGE_RADIUS_K",
    "PARAMETER_CHECKS",
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

#: Without an explicit end time the runner stops at request window + 2 h.
DEFAULT_END_AFTER_WINDOW_MS = 2 * 3_600_000

_U64 = IntRange(0, U64_MAX)
_U32 = IntRange(0, U32_MAX)
_FINITE = RealRange()

#: Most riders or drivers one scenario may spawn (each is a Python object with its own
#: event history: about 1 GB of memory and minutes of kernel time at this cap).
MAX_AGENTS = 1_000_000
#: Largest surge grid-disk radius: H3 lists 3k(k+1)+1 cells for radius k (30,301 at 100,
#: ≈ 17 km at resolution 9); beyond a city it buys nothing, and at 2^31 H3 overflows.
MAX_SURGE_RADIUS_K = 100
_AGENTS = IntRange(0, MAX_AGENTS)

#: What the kernel can run, per field (``pricing_config.<field>`` for the pricing
#: config): it misbehaves or crashes outside these. The one table of parameter ranges.
PARAMETER_CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "num_riders": _AGENTS,
        "num_drivers": _AGENTS,
        "initial_rider_count": _AGENTS,
        "initial_driver_count": _AGENTS,
        "seed": _U64.with_nulls(),
        "lat_min": _FINITE,
        "lat_max": _FINITE,
        "lng_min": _FINITE,
        "lng_max": _FINITE,
        "request_window_ms": _U64,
        "driver_spread_ms": _U64,
        "match_radius": _U32,
        "min_trip_cells": _U64,
        "max_trip_cells": _U64,
        "epoch_ms": IntRange(0, I64_MAX, nullable=True),
        "simulation_end_time_ms": _U64.with_nulls(),
        "batch_matching_enabled": Flag(nullable=True),
        "batch_interval_secs": IntRange(1, U64_MAX, nullable=True),
        "eta_weight": RealRange(0.0, nullable=True),
        "congestion_zones_enabled": Flag(),
        "dynamic_congestion_enabled": Flag(),
        "base_speed_kmh": RealRange(0.0, low_open=True, nullable=True),
        "pricing_config.base_fare": RealRange(0.0),
        "pricing_config.per_km_rate": RealRange(0.0),
        "pricing_config.commission_rate": RealRange(0.0, 1.0),
        "pricing_config.surge_enabled": Flag(),
        "pricing_config.surge_radius_k": IntRange(0, MAX_SURGE_RADIUS_K),
        "pricing_config.surge_max_multiplier": RealRange(1.0),
        "rng_layout": Choice(MappingProxyType({name: name for name in RNG_LAYOUTS})),
    }
)

_Config = TypeVar("_Config")


def _check_fields(config: object, group: str = "") -> None:
    """Check every field of ``config`` that :data:`PARAMETER_CHECKS` lists."""
    for field in dataclasses.fields(config):  # type: ignore[arg-type]
        check = PARAMETER_CHECKS.get(group + field.name)
        if check is not None:
            reason = check.reason(getattr(config, field.name))
            if reason is not None:
                raise ScenarioError(group + field.name, reason)


def _trusted(cls: type[_Config], values: Mapping[str, Any]) -> _Config:
    """An instance of the frozen dataclass ``cls`` from checked values, without checking
    them again (fields not given keep their defaults)."""
    instance = object.__new__(cls)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        object.__setattr__(instance, field.name, values.get(field.name, field.default))
    return instance


class MatchingAlgorithm(enum.Enum):
    SIMPLE = "simple"
    COST_BASED = "cost_based"
    HUNGARIAN = "hungarian"


#: ``"none"``, ``"berlin"`` or a custom tuple of 24 hourly speed factors.
TrafficProfile = Literal["none", "berlin"] | tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PricingConfig:
    """Fares, commission and surge (SIM_SPEC §6.1–§6.2); checked when constructed."""

    base_fare: float = 2.50
    per_km_rate: float = 1.50
    commission_rate: float = 0.0
    surge_enabled: bool = False
    surge_radius_k: int = 1
    surge_max_multiplier: float = 2.0

    def __post_init__(self) -> None:
        _check_fields(self, "pricing_config.")

    @classmethod
    def from_checked(cls, **values: Any) -> PricingConfig:
        """A config from values already checked against :data:`PARAMETER_CHECKS`."""
        return _trusted(cls, values)


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
    """Everything one simulation run depends on (SIM_SPEC §3.1).

    Every field is checked when the params are constructed (:data:`PARAMETER_CHECKS`,
    plus the types of the enum, profile and nested-config fields).

    Raises
    ------
    ScenarioError
        Naming the first field the kernel cannot run, e.g.
        ``pricing_config.commission_rate: must be in [0, 1], got 1.5``.
    """

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
    #: How stream seeds derive from ``seed`` (SIM_SPEC deviation 6): ``"independent"``
    #: hashes them, ``"original"`` keeps the Rust kernel's ``S + offset`` arithmetic.
    rng_layout: RngLayout = "independent"

    def __post_init__(self) -> None:
        _check_fields(self)
        _check_types(self)

    @classmethod
    def from_checked(cls, **values: Any) -> ScenarioParams:
        """Params from values already checked (a sweep point of a validated request):
        fields not given keep their defaults, and nothing is checked again."""
        return _trusted(cls, values)

    def replace(self, **changes: object) -> ScenarioParams:
        """A copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- resolved values (the original's ``unwrap_or`` defaults) -----------------

    @property
    def scenario_seed(self) -> int:
        """S of SIM_SPEC §7.2 (``None`` → 0)."""
        return 0 if self.seed is None else self.seed & U64_MAX

    @property
    def stream_seeds(self) -> StreamSeeds:
        """The base seed of each stream family (SIM_SPEC §7.2 under ``rng_layout``)."""
        return stream_seeds(self.scenario_seed, self.rng_layout)

    @property
    def resolved_pricing(self) -> PricingConfig:
        return self.pricing_config or _DEFAULT_PRICING

    @property
    def resolved_rider_quote(self) -> RiderQuoteConfig:
        if self.rider_quote_config is not None:
            return self.rider_quote_config
        return RiderQuoteConfig(seed=self.stream_seeds.quote)

    @property
    def resolved_driver_decision(self) -> DriverDecisionConfig:
        if self.driver_decision_config is not None:
            return self.driver_decision_config
        return DriverDecisionConfig(seed=self.stream_seeds.decision)

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


_DEFAULT_PRICING = PricingConfig()

_NESTED: Mapping[str, type] = {
    "pricing_config": PricingConfig,
    "rider_quote_config": RiderQuoteConfig,
    "driver_decision_config": DriverDecisionConfig,
}


def _check_types(params: ScenarioParams) -> None:
    """The fields :data:`PARAMETER_CHECKS` does not describe: enums, profile, configs."""
    for name, config_type in _NESTED.items():
        value = getattr(params, name)
        if value is not None and not isinstance(value, config_type):
            reason = f"must be a {config_type.__name__} or None, got {describe_value(value)}"
            raise ScenarioError(name, reason)
    algorithm: object = params.matching_algorithm_type
    if algorithm is not None and not isinstance(algorithm, MatchingAlgorithm):
        names = ", ".join(member.name for member in MatchingAlgorithm)
        raise ScenarioError(
            "matching_algorithm_type",
            f"must be a MatchingAlgorithm ({names}) or None, got {describe_value(algorithm)}",
        )
    profile = params.traffic_profile
    if isinstance(profile, tuple):
        if len(profile) != 24:
            raise ScenarioError("traffic_profile", "a custom profile needs 24 hourly factors")
        for factor in profile:
            problem = RealRange(0.0).reason(factor)
            if problem is not None:
                raise ScenarioError("traffic_profile", f"each hourly factor {problem}")
    elif profile not in ("none", "berlin"):
        raise ScenarioError("traffic_profile", f"unknown profile {profile!r}")
    if params.spawn_weighting not in ("uniform", "berlin_hotspots"):
        raise ScenarioError("spawn_weighting", f"unknown weighting {params.spawn_weighting!r}")
    if params.route_provider_kind != "H3Grid":
        raise ScenarioError("route_provider_kind", "only H3Grid is available")
