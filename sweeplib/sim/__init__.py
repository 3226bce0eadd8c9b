"""The ride-hailing marketplace simulation kernel (a Level-A port; see docs/kernel.md).

Pure compute: imports nothing from the rest of sweeplib but the leaf modules
:mod:`sweeplib.errors` and :mod:`sweeplib.checks`; reads no clock, environment or
files, and knows nothing of Arrow or Parquet (it returns numpy columns).
``simulate(params)`` is the whole public entry point; ``Simulation`` is exposed for
tests that build worlds by hand.

Names are loaded on first use, so that importing :mod:`sweeplib.sim.params` (the
parameter table the request validators share) does not load numpy or h3.

The modules in :data:`COMPILED_MODULES` may run compiled by mypyc (ADR 0020) or as
the plain ``.py`` files; both give the same bytes. :func:`kernel_build` says which.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES
from typing import TYPE_CHECKING, Any, Final, Literal

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
    "COMPILED_MODULES",
    "DEFAULT_MAX_STEPS",
    "METRIC_NAMES",
    "PARAMETER_CHECKS",
    "SNAPSHOT_COLUMNS",
    "TRIP_COLUMNS",
    "Columns",
    "DriverDecisionConfig",
    "EventKind",
    "KernelBuild",
    "MatchingAlgorithm",
    "PricingConfig",
    "RiderQuoteConfig",
    "ScenarioError",
    "ScenarioParams",
    "Simulation",
    "SimulationResult",
    "kernel_build",
    "simulate",
]

#: The kernel modules the package build compiles with mypyc (setup.py compiles
#: ``sweeplib/sim/*.py`` but ``__init__``, ``outputs``, ``params`` and ``run``; a unit
#: test keeps the two lists equal).
COMPILED_MODULES: Final = (
    "arrivals",
    "assignment",
    "clock",
    "engine",
    "entities",
    "events",
    "geo",
    "matching",
    "movement",
    "quotes",
    "rng",
    "spawning",
    "traffic",
    "trips",
)

#: ``"compiled"``: every module of :data:`COMPILED_MODULES` was loaded from a mypyc
#: extension; ``"pure"``: none was; ``"mixed"``: a broken or partial build.
KernelBuild = Literal["compiled", "pure", "mixed"]


def kernel_build() -> KernelBuild:
    """Which kernel runs in this process: the mypyc-compiled modules or the ``.py`` files.

    Imports the kernel modules (numpy and h3 with them) to find out.
    """
    compiled = 0
    for name in COMPILED_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        origin = getattr(module, "__file__", None) or ""
        compiled += origin.endswith(tuple(EXTENSION_SUFFIXES))
    if compiled == len(COMPILED_MODULES):
        return "compiled"
    return "mixed" if compiled else "pure"


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
