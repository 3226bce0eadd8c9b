"""Assignment algorithms behind matching: Simple, CostBased, Hungarian (SIM_SPEC §5).

All functions are pure: they take riders and *feasible* candidate drivers (idle
drivers within the match radius, in idle-iteration order) and return pairs. The
matching section (:mod:`~sweeplib.sim.matching`) finds the feasible candidates with
a grid-disk lookup, which is equivalent to the original's per-pair
``grid_distance <= radius`` test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "GREEDY_MAX_DRIVERS",
    "GREEDY_MAX_RIDERS",
    "INFEASIBLE_WEIGHT",
    "best_by_score",
    "greedy_assignment",
    "hungarian_pairs",
    "km_weight",
    "max_weight_assignment",
    "pickup_score",
]

R = TypeVar("R")
D = TypeVar("D")

MATCHING_SPEED_KMH: Final = 40.0
INFEASIBLE_WEIGHT: Final = -1_000_000_000_000
GREEDY_MAX_RIDERS: Final = 10
GREEDY_MAX_DRIVERS: Final = 20
_INF: Final = np.int64(1 << 62)


def pickup_score(distance_km: float, eta_weight: float) -> float:
    """Higher is better: ``-km - eta_seconds * eta_weight`` (SIM_SPEC §5)."""
    if distance_km <= 0.0:
        eta_ms = 1000
    else:
        eta_ms = int(max(1000.0, distance_km / MATCHING_SPEED_KMH * 3_600_000.0))
    return -distance_km - (eta_ms / 1000.0) * eta_weight


def km_weight(score: float) -> int:
    """The Kuhn–Munkres integer weight: ``score × 1e6`` truncated toward zero."""
    return int(score * 1_000_000.0)


def best_by_score(candidates: Sequence[D], score: Callable[[D], float]) -> D | None:
    """The candidate with the strictly highest score; ties go to the earliest."""
    best: D | None = None
    best_score = 0.0
    for candidate in candidates:
        value = score(candidate)
        if best is None or value > best_score:
            best = candidate
            best_score = value
    return best


def greedy_assignment(
    riders: Sequence[R],
    feasible: Callable[[R], Sequence[D]],
    score: Callable[[R, D], float],
) -> list[tuple[R, D]]:
    """Hungarian's small-batch path: riders in order take the best unused driver."""
    used: set[int] = set()
    pairs: list[tuple[R, D]] = []
    for rider in riders:
        best: D | None = None
        best_score = 0.0
        for driver in feasible(rider):
            if id(driver) in used:
                continue
            value = score(rider, driver)
            if best is None or value > best_score:
                best = driver
                best_score = value
        if best is not None:
            used.add(id(best))
            pairs.append((rider, best))
    return pairs


def hungarian_pairs(
    riders: Sequence[R],
    feasible: Callable[[R], Sequence[D]],
    weights_row: Callable[[R, Sequence[D]], list[int]],
    driver_order: Callable[[D], int],
) -> list[tuple[R, D]]:
    """Maximum-cardinality, then maximum-weight assignment of riders to drivers.

    The original solves a dense ``rows × columns`` problem in which infeasible
    pairs weigh -1e12 and then drops infeasible assignments. Rows without any
    feasible column and columns without any feasible row can only ever receive
    infeasible assignments, so we drop them and add one -1e12 dummy column per row;
    the optimum (and so the set of feasible matches, up to ties) is unchanged and
    the matrix shrinks from riders × all idle drivers to the feasible core, which
    is further split into independent connected components.

    ``weights_row(rider, candidates)`` gives the integer weights (``km_weight`` of
    ``pickup_score``) of one rider against its feasible candidates.

    Returns pairs in rider order; the caller reorders them if the original would
    have used drivers as rows.
    """
    rows: list[R] = []
    row_candidates: list[Sequence[D]] = []
    for rider in riders:
        candidates = feasible(rider)
        if candidates:
            rows.append(rider)
            row_candidates.append(candidates)
    pairs: list[tuple[int, D]] = []
    # The optimum decomposes over connected components of the feasibility graph:
    # solve each component on its own (most are a single rider).
    for component in _components(row_candidates):
        if len(component) == 1:
            row = component[0]
            candidates = row_candidates[row]
            pairs.append((row, candidates[_first_max(weights_row(rows[row], candidates))]))
            continue
        columns: dict[int, D] = {}
        for row in component:
            for driver in row_candidates[row]:
                columns.setdefault(id(driver), driver)
        ordered = sorted(columns.values(), key=driver_order)
        column_of = {id(driver): j for j, driver in enumerate(ordered)}
        n, m = len(component), len(ordered)
        weights = np.full((n, m + n), INFEASIBLE_WEIGHT, dtype=np.int64)
        for i, row in enumerate(component):
            candidates = row_candidates[row]
            weights[i, [column_of[id(driver)] for driver in candidates]] = weights_row(
                rows[row], candidates
            )
        for i, j in enumerate(max_weight_assignment(weights)):
            if j < m and weights[i, j] != INFEASIBLE_WEIGHT:
                pairs.append((component[i], ordered[j]))
    pairs.sort(key=lambda pair: pair[0])
    return [(rows[row], driver) for row, driver in pairs]


def _first_max(values: list[int]) -> int:
    """Index of the first largest value (numpy's ``argmax``, without an array)."""
    best = 0
    best_value = values[0]
    for index in range(1, len(values)):
        value = values[index]
        if value > best_value:
            best = index
            best_value = value
    return best


def _components(row_candidates: Sequence[Sequence[object]]) -> list[list[int]]:
    """Rows grouped by shared candidates (union-find), each group in row order."""
    parent = list(range(len(row_candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for row, candidates in enumerate(row_candidates):
        for candidate in candidates:
            other = owner.setdefault(id(candidate), row)
            if other != row:
                a, b = root(other), root(row)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for row in range(len(row_candidates)):
        groups.setdefault(root(row), []).append(row)
    return list(groups.values())


def max_weight_assignment(weights: npt.NDArray[np.int64]) -> list[int]:
    """Assign every row a distinct column maximising the total integer weight.

    Kuhn–Munkres with potentials (the O(n²m) shortest-augmenting-path form),
    vectorised over columns. Requires ``rows <= columns``. Ties resolve to the
    lowest column index at each step.

    Returns
    -------
    list[int]
        ``assignment[row] = column``.
    """
    n, m = weights.shape
    if n > m:
        raise ValueError(f"need rows <= columns, got {n} x {m}")
    cost = np.zeros((n + 1, m + 1), dtype=np.int64)
    cost[1:, 1:] = -weights
    u = np.zeros(n + 1, dtype=np.int64)
    v = np.zeros(m + 1, dtype=np.int64)
    owner = np.zeros(m + 1, dtype=np.int64)  # owner[j] = row (1-based) holding column j
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(m + 1, _INF, dtype=np.int64)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = owner[j0]
            reduced = cost[i0] - u[i0] - v
            free = ~used
            better = free & (reduced < minv)
            minv[better] = reduced[better]
            way[better] = j0
            masked = np.where(free, minv, _INF)
            j1 = int(np.argmin(masked))
            delta = masked[j1]
            u[owner[used]] += delta
            v[used] -= delta
            minv[free] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = int(way[j0])
            owner[j0] = owner[j1]
            j0 = j1
    assignment = [-1] * n
    for j in range(1, m + 1):
        if owner[j]:
            assignment[int(owner[j]) - 1] = j - 1
    return assignment
