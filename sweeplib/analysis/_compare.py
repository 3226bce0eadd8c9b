"""Two runs side by side: metric deltas per matching parameter point, with intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.analysis._engines import point_frame
from sweeplib.analysis._frames import dimension_columns, expand_dimensions
from sweeplib.analysis._stats import IntervalMethod, mean_difference
from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest
from sweeplib.query import QueryEngine
from sweeplib.query.named import committed_points

__all__ = ["RunComparison", "add_intervals", "compare_runs", "compared_metrics"]


@dataclass(frozen=True)
class RunComparison:
    """The comparison of run ``b`` against run ``a`` (deltas are ``b − a``).

    Attributes
    ----------
    run_a, run_b : str
    points : pandas.DataFrame
        One row per parameter point present in both runs (named query ``compare_runs``)
        with one column per dimension, ``n_a``/``n_b`` (replications: points with the same
        selected values, i.e. repeated values in a dimension list, each with its own
        seed), the means of each run, ``{metric}_delta``, and for metrics with a spread
        ``{metric}_low``/``{metric}_high``/``{metric}_df``: the interval of the delta.
    dimensions : tuple of str
        The dimension columns of ``points``.
    metrics : tuple of str
        The metrics with a delta column.
    interval_metrics : tuple of str
        The metrics with an interval (those the query reports a standard deviation for).
    confidence : float
    method : str
        ``"welch"`` or ``"normal"``.
    """

    run_a: str
    run_b: str
    points: pd.DataFrame
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    interval_metrics: tuple[str, ...]
    confidence: float
    method: str

    def headline(self) -> str:
        """A few Markdown lines: how many points match, how many have intervals."""
        matched = len(self.points)
        if not matched:
            return (
                f"**`{self.run_b}` − `{self.run_a}`**: no parameter point is in both runs "
                "(they must share dimension values; compare their config fingerprints)."
            )
        replicated = 0
        if {"n_a", "n_b"} <= set(self.points.columns):
            replicated = int(((self.points["n_a"] >= 2) & (self.points["n_b"] >= 2)).sum())
        lines = [
            f"**`{self.run_b}` − `{self.run_a}`**: {matched} parameter point(s) in both runs; "
            f"{replicated} replicated in both (with {self.confidence:.0%} {self.method} "
            "intervals for " + (", ".join(self.interval_metrics) or "no metric") + ")."
        ]
        if self.dimensions:
            lines.append("Dimensions: " + ", ".join(f"`{d}`" for d in self.dimensions) + ".")
        return "  \n".join(lines)

    def summary(self) -> pd.DataFrame:
        """Per metric: matching points, the mean delta, and how many intervals exclude 0.

        Columns: ``metric``, ``points``, ``mean_delta``, ``min_delta``, ``max_delta``,
        ``with_interval`` (points with an interval), ``b_higher`` / ``b_lower`` (intervals
        entirely above / below 0).
        """
        rows = []
        for metric in self.metrics:
            deltas = self.points[f"{metric}_delta"].astype("float64")
            row: dict[str, object] = {
                "metric": metric,
                "points": int(deltas.notna().sum()),
                "mean_delta": float(deltas.mean()) if deltas.notna().any() else math.nan,
                "min_delta": float(deltas.min()) if deltas.notna().any() else math.nan,
                "max_delta": float(deltas.max()) if deltas.notna().any() else math.nan,
                "with_interval": 0,
                "b_higher": 0,
                "b_lower": 0,
            }
            if metric in self.interval_metrics:
                low = self.points[f"{metric}_low"].astype("float64")
                high = self.points[f"{metric}_high"].astype("float64")
                row["with_interval"] = int(low.notna().sum())
                row["b_higher"] = int((low > 0).sum())
                row["b_lower"] = int((high < 0).sum())
            rows.append(row)
        return pd.DataFrame(rows)


def compared_metrics(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The metrics of a ``compare_runs`` result: those with a ``_delta`` column, and of
    those, the ones with ``_a``, ``_b``, ``_sd_a`` and ``_sd_b`` columns (an interval is
    possible)."""
    columns = set(frame.columns)
    deltas = [c.removesuffix("_delta") for c in frame.columns if c.endswith("_delta")]
    with_spread = [m for m in deltas if {f"{m}_a", f"{m}_b", f"{m}_sd_a", f"{m}_sd_b"} <= columns]
    return deltas, with_spread


def _number(value: object) -> float:
    if value is None or pd.isna(value):
        return math.nan
    return float(value)  # type: ignore[arg-type]


def add_intervals(
    frame: pd.DataFrame,
    metrics: list[str],
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "welch",
) -> pd.DataFrame:
    """``frame`` with ``{metric}_low``, ``{metric}_high`` and ``{metric}_df`` columns.

    Each row needs ``n_a``, ``n_b``, ``{metric}_a``, ``{metric}_b``, ``{metric}_sd_a``
    and ``{metric}_sd_b``; the interval is of ``{metric}_b − {metric}_a`` (see
    :func:`~sweeplib.analysis.mean_difference`), missing unless both runs have at
    least two replications of the point.
    """
    result = frame.copy()
    for metric in metrics:
        lows, highs, dfs = [], [], []
        for row in frame.to_dict("records"):
            difference = mean_difference(
                _number(row[f"{metric}_a"]),
                _number(row[f"{metric}_sd_a"]),
                int(row["n_a"]),
                _number(row[f"{metric}_b"]),
                _number(row[f"{metric}_sd_b"]),
                int(row["n_b"]),
                confidence=confidence,
                method=method,
            )
            lows.append(difference.low)
            highs.append(difference.high)
            dfs.append(difference.degrees_of_freedom)
        position = list(result.columns).index(f"{metric}_delta") + 1
        result.insert(position, f"{metric}_high", highs)
        result.insert(position, f"{metric}_low", lows)
        result[f"{metric}_df"] = dfs
    return result


def compare_runs(
    engine: QueryEngine,
    run_a: str,
    run_b: str,
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "welch",
) -> RunComparison:
    """Metric deltas (``b − a``) per parameter point present in both runs.

    Points match on their selected dimension values. Where both runs have at least two
    replications of a point (a dimension list that repeats a value, e.g.
    ``"num_riders": [500, 500, 500]``: each copy runs with its own seed) the delta gets a
    ``confidence`` interval: Welch's t by default, or the normal approximation.

    Raises
    ------
    InvalidRequest
        A bad run id, the same run twice, or a bad ``confidence`` / ``method``.
    QueryError
        The engine failed.
    """
    validate_run_id(run_a)
    validate_run_id(run_b)
    if run_a == run_b:
        raise InvalidRequest("run_b", f"compare two different runs (both are {run_a!r})")
    if not 0 < confidence < 1:
        raise InvalidRequest("confidence", f"must be in (0, 1), got {confidence!r}")
    if method not in ("welch", "normal"):
        raise InvalidRequest("method", f"must be 'welch' or 'normal', got {method!r}")
    points = committed_points(engine, [run_a, run_b])
    frame = point_frame(engine, "compare_runs", points, run_a=run_a, run_b=run_b)
    metrics, with_spread = compared_metrics(frame)
    table = add_intervals(
        expand_dimensions(frame), with_spread, confidence=confidence, method=method
    )
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        points=table,
        dimensions=tuple(dimension_columns(table)),
        metrics=tuple(metrics),
        interval_metrics=tuple(with_spread),
        confidence=confidence,
        method=method,
    )
