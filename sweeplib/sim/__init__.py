"""The ride-hailing marketplace simulation kernel (a Level-A port; see docs/kernel.md).

Pure compute: imports nothing from the rest of sweeplib, reads no clock, environment
or files. ``simulate(params)`` is the whole public entry point; ``Simulation`` is
exposed for tests that build worlds by hand.
"""

from sweeplib.sim.engine import Simulation
from sweeplib.sim.events import EventKind
from sweeplib.sim.outputs import (
    METRIC_NAMES,
    SHARD_METRICS_SCHEMA,
    SNAPSHOT_COUNTS_SCHEMA,
    TRIP_DATA_SCHEMA,
    SimulationResult,
)
from sweeplib.sim.params import (
    DriverDecisionConfig,
    MatchingAlgorithm,
    PricingConfig,
    RiderQuoteConfig,
    ScenarioError,
    ScenarioParams,
)
from sweeplib.sim.run import DEFAULT_MAX_STEPS, simulate

__all__ = [
    "DEFAULT_MAX_STEPS",
    "METRIC_NAMES",
    "SHARD_METRICS_SCHEMA",
    "SNAPSHOT_COUNTS_SCHEMA",
    "TRIP_DATA_SCHEMA",
    "DriverDecisionConfig",
    "EventKind",
    "MatchingAlgorithm",
    "PricingConfig",
    "RiderQuoteConfig",
    "ScenarioError",
    "ScenarioParams",
    "Simulation",
    "SimulationResult",
    "simulate",
]
