"""Factors, the design kinds and their unit-cube samples (see :mod:`sweeplib.designs`)."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from sweeplib.contracts import JSONValue
from sweeplib.contracts.request import SEEDING_MODES
from sweeplib.dimensions import DIMENSIONS, JSONScalar, validate_dimension_name
from sweeplib.errors import InvalidRequest

__all__ = [
    "KINDS",
    "Categorical",
    "Design",
    "Factor",
    "Range",
    "make_design",
]

Kind: TypeAlias = Literal["grid", "random", "lhs", "sobol", "halton", "saltelli", "morris"]
#: The design kinds :func:`make_design` builds.
KINDS: Final[tuple[Kind, ...]] = ("grid", "random", "lhs", "sobol", "halton", "saltelli", "morris")

_GENERATORS: Final[Mapping[str, str]] = {
    "grid": "sweeplib.designs (evenly spaced levels)",
    "random": "numpy.random.default_rng",
    "lhs": "scipy.stats.qmc.LatinHypercube",
    "sobol": "scipy.stats.qmc.Sobol",
    "halton": "scipy.stats.qmc.Halton",
    "saltelli": "SALib.sample.sobol.sample",
    "morris": "SALib.sample.morris.sample",
}


def _check_value(name: str, value: object, what: str) -> None:
    reason = DIMENSIONS[name].check.reason(value)
    if reason is not None:
        raise InvalidRequest(name, f"{what} {reason}")


@dataclass(frozen=True)
class Range:
    """A numeric factor from ``low`` to ``high`` (both reachable).

    ``integer`` ranges draw whole numbers (each of ``low..high`` equally likely under a
    uniform column); ``scale="log"`` spaces values evenly in log space (``low > 0``).
    """

    name: str
    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"
    integer: bool = False

    def __post_init__(self) -> None:
        validate_dimension_name(self.name)
        if self.scale not in ("linear", "log"):
            raise InvalidRequest(self.name, f"scale must be linear or log, got {self.scale!r}")
        for end in (self.low, self.high):
            if isinstance(end, bool) or not isinstance(end, int | float) or not math.isfinite(end):
                raise InvalidRequest(self.name, f"bounds must be finite numbers, got {end!r}")
        if self.integer:
            if self.low != int(self.low) or self.high != int(self.high):
                raise InvalidRequest(
                    self.name, f"integer bounds must be whole, got {self.low}:{self.high}"
                )
            object.__setattr__(self, "low", int(self.low))
            object.__setattr__(self, "high", int(self.high))
        if not self.low < self.high:
            raise InvalidRequest(self.name, f"low must be below high, got {self.low}:{self.high}")
        if self.scale == "log" and self.low <= 0:
            raise InvalidRequest(self.name, f"a log scale needs low > 0, got {self.low}")
        _check_value(self.name, self.low, "low bound")
        _check_value(self.name, self.high, "high bound")
        # A value strictly between the bounds that is not whole (1/π of the way up).
        between = float(self.low) + (float(self.high) - float(self.low)) * 0.3183098861837907
        if (
            not self.integer
            and between != int(between)
            and DIMENSIONS[self.name].check.reason(between)
        ):
            raise InvalidRequest(
                self.name, "takes whole numbers only: make it an integer range (LO:HI:int)"
            )

    def values(self, unit: npt.NDArray[np.float64]) -> list[JSONScalar]:
        """Map unit-cube coordinates in ``[0, 1]`` onto the range."""
        u = np.clip(unit, 0.0, 1.0)
        if self.integer:
            low, high = int(self.low), int(self.high)
            if self.scale == "log":
                spread = np.exp(math.log(low) + u * (math.log(high + 1) - math.log(low)))
            else:
                spread = low + u * (high - low + 1)
            whole = np.clip(np.floor(spread), low, high).astype(np.int64)
            return [int(v) for v in whole]
        if self.scale == "log":
            real = np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            real = self.low + u * (self.high - self.low)
        return [float(v) for v in np.clip(real, self.low, self.high)]

    def levels(self, count: int) -> list[JSONScalar]:
        """``count`` evenly spaced values from ``low`` to ``high`` (fewer for a short
        integer range: duplicates are dropped)."""
        if count == 1:
            return [self.low]
        if self.scale == "log":
            spaced = np.geomspace(self.low, self.high, count)
        else:
            spaced = np.linspace(self.low, self.high, count)
        if self.integer:
            return [int(v) for v in dict.fromkeys(round(float(x)) for x in spaced)]
        return [float(v) for v in spaced]

    def describe(self) -> dict[str, JSONValue]:
        return {
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "scale": self.scale,
            "type": "integer" if self.integer else "real",
        }


@dataclass(frozen=True)
class Categorical:
    """A factor taking one of ``choices`` (each a value the dimension accepts)."""

    name: str
    choices: tuple[JSONScalar, ...]

    def __post_init__(self) -> None:
        validate_dimension_name(self.name)
        object.__setattr__(self, "choices", tuple(self.choices))
        if not self.choices:
            raise InvalidRequest(self.name, "needs at least one choice")
        for choice in self.choices:
            _check_value(self.name, choice, "choice")

    def values(self, unit: npt.NDArray[np.float64]) -> list[JSONScalar]:
        """Map unit-cube coordinates onto the choices (equal shares of ``[0, 1]``)."""
        k = len(self.choices)
        picks = np.clip(np.floor(np.clip(unit, 0.0, 1.0) * k), 0, k - 1).astype(np.int64)
        return [self.choices[i] for i in picks]

    def levels(self, count: int) -> list[JSONScalar]:
        return list(self.choices)

    def describe(self) -> dict[str, JSONValue]:
        return {"name": self.name, "choices": list(self.choices), "type": "categorical"}


Factor: TypeAlias = Range | Categorical


@dataclass(frozen=True)
class Design:
    """A design: its points (dimension → value, fixed dimensions included) and how it
    was made. :meth:`request` turns it into a request body.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    factors : tuple of Factor
        The varied dimensions, in column order of ``unit``.
    fixed : Mapping
        Dimensions held at one value in every point.
    unit : numpy.ndarray
        ``(points, factors)`` coordinates in the unit cube the points were mapped from
        (for a grid: the levels' positions).
    points : list of dict
        One dict per design point, in design order.
    provenance : dict
        The request's ``design`` object.
    """

    kind: str
    factors: tuple[Factor, ...]
    fixed: Mapping[str, JSONScalar]
    unit: npt.NDArray[np.float64] = field(repr=False)
    points: list[dict[str, JSONScalar]] = field(repr=False)
    provenance: dict[str, JSONValue] = field(repr=False)
    grid: dict[str, list[JSONScalar]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def names(self) -> tuple[str, ...]:
        """The varied dimensions, in column order."""
        return tuple(factor.name for factor in self.factors)

    def request(
        self,
        run_id: str,
        *,
        replications: int = 1,
        seeding: str = "independent",
        seed: int = 0,
        shard_size: int | None = None,
        shard_count: int | None = None,
        max_shards: int | None = None,
    ) -> dict[str, Any]:
        """A request body for this design (validate it with
        :func:`~sweeplib.contracts.parse_sweep_request`, which ``sweep run`` and the API
        do). A grid travels as ``dimensions``, anything else as ``points``.

        ``shard_size`` defaults to about 1,000 shards' worth of points, at least 1.
        """
        if seeding not in SEEDING_MODES:
            raise InvalidRequest("seeding", f"must be one of {', '.join(SEEDING_MODES)}")
        body: dict[str, Any] = {"run_id": run_id}
        if self.grid is not None:
            body["dimensions"] = self.grid
        else:
            body["points"] = self.points
        if shard_count is None and shard_size is None:
            shard_size = max(1, -(-len(self.points) * replications // 1000))
        if shard_count is not None:
            body["shard_count"] = shard_count
        if shard_size is not None:
            body["shard_size"] = shard_size
        if max_shards is not None:
            body["max_shards"] = max_shards
        body["seed"] = seed
        if replications != 1:
            body["replications"] = replications
        if seeding != "independent":
            body["seeding"] = seeding
        body["design"] = self.provenance
        return body


def make_design(
    kind: str,
    factors: Sequence[Factor],
    *,
    samples: int | None = None,
    levels: int | None = None,
    fixed: Mapping[str, JSONScalar] | None = None,
    seed: int = 0,
    second_order: bool = False,
) -> Design:
    """Build a design of ``kind`` over ``factors``.

    Parameters
    ----------
    kind
        One of :data:`KINDS`.
    factors
        The varied dimensions (distinct names, at least one).
    samples
        Points for random/lhs/sobol/halton; the base N for saltelli; trajectories for
        morris. Not used by grid.
    levels
        Values per range for grid (default 5); grid levels for morris (default 4).
    fixed
        Dimensions held at one value (checked like any value).
    seed
        Seeds the generator (reproducible designs).
    second_order
        saltelli only: also sample for second-order indices (N·(2k + 2) points).

    Raises
    ------
    InvalidRequest
        Naming the bad argument or factor.
    """
    if kind not in KINDS:
        raise InvalidRequest("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    if not factors:
        raise InvalidRequest("factors", "a design needs at least one range or choice")
    names = [factor.name for factor in factors]
    fixed = dict(fixed or {})
    for name in sorted(fixed):
        validate_dimension_name(name)
        _check_value(name, fixed[name], "fixed value")
        if name in names:
            raise InvalidRequest(name, "is both varied and fixed")
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise InvalidRequest(twice[0], "is varied twice")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InvalidRequest("seed", f"must be an integer in [0, 2^63), got {seed!r}")

    k = len(factors)
    grid: dict[str, list[JSONScalar]] | None = None
    extra: dict[str, JSONValue] = {}
    if kind == "grid":
        count = _positive(levels, "levels", default=5)
        grid = {factor.name: factor.levels(count) for factor in factors}
        grid.update({name: [value] for name, value in fixed.items()})
        # The request's own order: names sorted, the last varying fastest.
        order = sorted(grid)
        positions = list(itertools.product(*(range(len(grid[name])) for name in order)))
        points = [
            {name: grid[name][i] for name, i in zip(order, combo, strict=True)}
            for combo in positions
        ]
        spans = {name: max(len(grid[name]) - 1, 1) for name in order}
        unit = np.array(
            [[combo[order.index(name)] / spans[name] for name in names] for combo in positions],
            dtype=float,
        )
        extra["levels"] = count
    else:
        unit, extra = _unit_sample(kind, k, names, samples, levels, seed, second_order)
        columns = [factor.values(unit[:, j]) for j, factor in enumerate(factors)]
        points = [
            {**{name: column[i] for name, column in zip(names, columns, strict=True)}, **fixed}
            for i in range(unit.shape[0])
        ]
    provenance: dict[str, JSONValue] = {
        "kind": kind,
        "generator": _GENERATORS[kind],
        "seed": seed,
        "factors": [factor.describe() for factor in factors],
        "fixed": dict(fixed),
        "points": len(points),
        **extra,
    }
    return Design(
        kind=kind,
        factors=tuple(factors),
        fixed=fixed,
        unit=unit,
        points=[{name: point[name] for name in sorted(point)} for point in points],
        provenance=provenance,
        grid=grid,
    )


def _positive(value: int | None, name: str, *, default: int | None = None) -> int:
    if value is None:
        if default is None:
            raise InvalidRequest(name, "is required for this kind of design")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(name, f"must be an integer ≥ 1, got {value!r}")
    return value


def _unit_sample(
    kind: str,
    k: int,
    names: Sequence[str],
    samples: int | None,
    levels: int | None,
    seed: int,
    second_order: bool,
) -> tuple[npt.NDArray[np.float64], dict[str, JSONValue]]:
    """Points in the unit cube, and what the provenance should add about them."""
    n = _positive(samples, "samples")
    if kind == "random":
        return np.random.default_rng(seed).random((n, k)), {"samples": n}
    if kind in ("lhs", "sobol", "halton"):
        from scipy.stats import qmc  # the analysis extra: never in the Lambda artifact

        engine: Any
        if kind == "lhs":
            engine = qmc.LatinHypercube(d=k, rng=np.random.default_rng(seed))
        elif kind == "sobol":
            engine = qmc.Sobol(d=k, scramble=True, rng=np.random.default_rng(seed))
        else:
            engine = qmc.Halton(d=k, scramble=True, rng=np.random.default_rng(seed))
        with warnings.catch_warnings():
            # Sobol' warns when n is not a power of two: the points are still valid, only
            # the balance properties are lost; the provenance records which.
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            unit = engine.random(n)
        extra: dict[str, JSONValue] = {"samples": n, "scramble": True}
        if kind == "sobol":
            extra["balanced"] = n & (n - 1) == 0
        return np.asarray(unit, dtype=float), extra
    # SALib adds keys to the problem it is given: hand it a copy, record the original.
    problem: dict[str, JSONValue] = {
        "num_vars": k,
        "names": list(names),
        "bounds": [[0.0, 1.0]] * k,
    }
    if kind == "saltelli":
        from SALib.sample import sobol as saltelli

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            warnings.filterwarnings("ignore", message=".*power of 2.*")
            unit = saltelli.sample(dict(problem), n, calc_second_order=second_order, seed=seed)
        extra = {
            "samples": n,
            "calc_second_order": second_order,
            "balanced": n & (n - 1) == 0,
            "salib_problem": problem,
        }
        return np.asarray(unit, dtype=float), extra
    from SALib.sample import morris

    grid_levels = _positive(levels, "levels", default=4)
    if grid_levels < 2 or grid_levels % 2:
        raise InvalidRequest(
            "levels", f"morris needs an even number of levels ≥ 2, got {grid_levels}"
        )
    unit = morris.sample(dict(problem), n, num_levels=grid_levels, seed=seed)
    extra = {"samples": n, "num_levels": grid_levels, "salib_problem": problem}
    return np.asarray(unit, dtype=float), extra
