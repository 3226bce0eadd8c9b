"""The ride-hailing marketplace simulation kernel (a Level-A port; see docs/kernel.md).

Pure compute: imports nothing from the rest of sweeplib but the leaf modules
:mod:`sweeplib.errors` and :mod:`sweeplib.checks`; reads no clock, environment or
files, and knows nothing of Arrow or Parquet (it returns numpy columns).
``simulate(params)`` is the whole public entry point; ``Simulation`` is exposed for
tests that build worlds by hand.

Names are loaded on first use, so that importing :mod:`sweeplib.sim.params` (the
parameter table the request validators share) does not load numpy or h3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sweeplib.sim.engine import Simulation
    from sweeplib.sim.events import EventKind
    from sweeplib.sim.outputs import (
        METRIC_NAMES,
        SNAPSHOT_COLUMNS,
        TRIP_COLUMNS,
        Columns,
        SimulationResult,
    )
    from sweeplib.sim.params import (
        PARAMETER_CHECKS,
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
    "PARAMETER_CHECKS",
    "SNAPSHOT_COLUMNS",
    "TRIP_COLUMNS",
    "Columns",
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

_HOMES = {
    "Simulation": "engine",
    "EventKind": "events",
    **dict.fromkeys(
        ("METRIC_NAMES", "SNAPSHOT_COLUMNS", "TRIP_COLUMNS", "Columns", "SimulationResult"),
        "outputs",
    ),
    **dict.fromkeys(
        (
            "PARAMETER_CHECKS",
            "DriverDecisionConfig",
            "MatchingAlgorithm",
            "PricingConfig",
            "RiderQuoteConfig",
            "ScenarioError",
            "ScenarioParams",
        ),
        "params",
    ),
    **dict.fromkeys(("DEFAULT_MAX_STEPS", "simulate"), "run"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
