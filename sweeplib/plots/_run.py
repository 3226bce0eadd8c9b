"""Figures of a run and its plan: estimate, design, coverage, metrics, time series, waits,
per-point comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sweeplib.analysis import CostEstimate, RunComparison, RunReport
from sweeplib.contracts import SweepRequest
from sweeplib.planning import request_point
from sweeplib.plots._base import (
    MAX_PANELS,
    _empty,
    _label,
    _readable_ticks,
    _scale,
    _short,
    new_figure,
)

#: Shard state → colour in :func:`coverage_figure`.
STATE_COLORS: Final = {"succeeded": "#2e7d32", "failed": "#c62828", "missing": "#9e9e9e"}

_RIDERS: Final = ("riders_browsing", "riders_waiting", "riders_in_transit")
_DRIVERS: Final = (
    "drivers_idle",
    "drivers_evaluating",
    "drivers_en_route",
    "drivers_on_trip",
    "drivers_off_duty",
)
_TRIPS: Final = ("trips_en_route", "trips_on_trip", "trips_completed", "trips_cancelled")


def estimate_figure(estimate: CostEstimate) -> Figure:
    """The estimate at a glance: wall time locally and on Lambda, and the Lambda run's
    cost by item."""
    figure = new_figure(1, 2, width=4.5, height=2.8)
    times, costs = figure.subplots(1, 2)
    labels = [
        f"local\n({estimate.local_workers} workers)",
        f"Lambda\n({estimate.concurrency} conc.)",
    ]
    minutes = [estimate.local_wall_seconds / 60.0, estimate.lambda_wall_seconds / 60.0]
    times.bar(labels, minutes, color=["#546e7a", "#ef6c00"])
    times.set_ylabel("estimated wall time (min)")
    times.set_title(f"{estimate.total_points:,} points in {estimate.shard_count:,} shards")
    items = estimate.costs()
    costs.barh(list(items), list(items.values()), color="#ef6c00")
    costs.invert_yaxis()
    costs.set_xlabel("USD")
    costs.set_title(f"on Lambda: ${estimate.total_usd:,.4g}")
    return figure


def design_figure(request: SweepRequest, *, max_points: int = 5_000) -> Figure:
    """The design points as a pair plot: one panel per pair of varied dimensions (a
    histogram on the diagonal), categorical values as their position in the list.

    Dimensions held at one value are left out; a design larger than ``max_points``
    shows its first ``max_points`` design points (said in the title).
    """
    count = min(request.design_points, max_points)
    points = pd.DataFrame(
        [request_point(request, d * request.replications).values for d in range(count)]
    )
    varied = [name for name in points.columns if points[name].nunique(dropna=False) > 1]
    figure = new_figure(max(len(varied), 1), max(len(varied), 1), width=2.4, height=2.2)
    if not varied:
        return _empty(figure, "every point has the same values")
    codes, labels = {}, {}
    for name in varied:
        numeric = pd.to_numeric(points[name], errors="coerce")
        if numeric.isna().any():  # categorical (or null): the value's position
            names = list(dict.fromkeys(points[name].map(_short)))
            numeric = points[name].map(_short).map(names.index).astype(float)
            labels[name] = names
        codes[name] = numeric
    axes = figure.subplots(len(varied), len(varied), squeeze=False)
    for i, row in enumerate(varied):
        for j, column in enumerate(varied):
            panel = axes[i][j]
            if i == j:
                panel.hist(codes[row], bins=min(20, max(count // 4, 5)), color="#546e7a")
            else:
                panel.scatter(codes[column], codes[row], s=6, alpha=0.6, color="#ef6c00")
            for axis, name in ((panel.xaxis, column), (panel.yaxis, row)):
                if name in labels and not (i == j and axis is panel.yaxis):
                    if axis is panel.xaxis:
                        _readable_ticks(panel, labels[name])
                    else:
                        _readable_ticks(panel, labels[name], axis="y")
                else:
                    axis.set_major_locator(MaxNLocator(4))
            if i == len(varied) - 1:
                panel.set_xlabel(column.replace("_", " "))
            if j == 0:
                panel.set_ylabel(row.replace("_", " "))
    shown = "" if count == request.design_points else f" (first {count:,} shown)"
    figure.suptitle(
        f"{request.design_kind} design: {request.design_points:,} design points{shown}"
        f" × {request.replications} replicate(s)"
    )
    return figure


def coverage_figure(coverage: pd.DataFrame) -> Figure:
    """One cell per planned shard, coloured by its state (``shard_coverage`` rows)."""
    figure = new_figure(width=9.0, height=1.5)
    if coverage.empty:
        return _empty(figure, "no planned shards")
    axes = figure.add_subplot()
    counts = []
    for state, color in STATE_COLORS.items():
        chosen = coverage[coverage["state"] == state]
        counts.append(f"{len(chosen)} {state}")
        if len(chosen):
            axes.bar(chosen["shard_id"].astype("int64"), 1.0, width=1.0, color=color, linewidth=0)
    axes.set_xlim(-0.5, int(coverage["shard_id"].max()) + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_yticks([])
    axes.set_xlabel("shard")
    axes.set_title(
        "shards: " + ", ".join(counts) + "  (green succeeded, red failed, grey missing)",
        fontsize="medium",
    )
    return figure


def _numeric(values: pd.Series) -> pd.Series | None:
    converted = pd.to_numeric(values, errors="coerce")
    return None if converted.isna().any() else converted


def metrics_by_dimension_figure(
    by_dimension: pd.DataFrame, *, metrics: Sequence[str] | None = None
) -> Figure:
    """A grid: one row per metric, one column per swept dimension; each panel the mean
    over the points at each dimension value, with the min–max range as error bars.

    Parameters
    ----------
    by_dimension
        :attr:`RunReport.by_dimension` (long format).
    metrics
        Which metrics, in order (default: all in the frame).
    """
    if by_dimension.empty:
        return _empty(new_figure(), "no dimension takes more than one value")
    dimensions = list(dict.fromkeys(by_dimension["dimension"]))
    chosen = list(metrics) if metrics is not None else list(dict.fromkeys(by_dimension["metric"]))
    rows = max(1, min(len(chosen), MAX_PANELS // max(1, len(dimensions))))
    chosen = chosen[:rows]
    figure = new_figure(rows, len(dimensions), width=4.0, height=2.8)
    panels = figure.subplots(rows, len(dimensions), squeeze=False)
    for row, metric in enumerate(chosen):
        for column, dimension in enumerate(dimensions):
            axes = panels[row][column]
            part = by_dimension[
                (by_dimension["dimension"] == dimension) & (by_dimension["metric"] == metric)
            ]
            x_values = _numeric(part["dimension_value"])
            x: Any = x_values if x_values is not None else part["dimension_value"].astype(str)
            scale = _scale(metric)
            mean = part["mean"].astype("float64") / scale
            low = (mean - part["min"].astype("float64") / scale).clip(lower=0)
            high = (part["max"].astype("float64") / scale - mean).clip(lower=0)
            axes.errorbar(x, mean, yerr=[low, high], marker="o", capsize=3)
            if row == rows - 1:
                axes.set_xlabel(dimension)
            if column == 0:
                axes.set_ylabel(_label(metric))
    figure.suptitle("mean over points (bars: min–max)", fontsize="medium")
    return figure


def timeseries_figure(timeseries: pd.DataFrame) -> Figure:
    """Riders, drivers and trips by state over simulated time, averaged over points
    (``marketplace_timeseries`` rows). ``riders_completed`` and ``riders_cancelled`` are
    left out: the kernel despawns those riders, so the snapshots always count 0."""
    figure = new_figure(1, 3, width=4.2, height=3.0)
    if timeseries.empty:
        return _empty(figure, "no snapshots of committed points")
    hours = timeseries["time_s"].astype("float64") / 3600.0
    panels = figure.subplots(1, 3, sharex=True)
    for axes, title, columns in zip(
        panels, ("riders", "drivers", "trips"), (_RIDERS, _DRIVERS, _TRIPS), strict=True
    ):
        for column in columns:
            if column in timeseries.columns:
                axes.plot(hours, timeseries[column], label=column.split("_", 1)[1])
        axes.set_title(title)
        axes.set_xlabel("simulated hours")
        axes.legend(fontsize="small")
    panels[0].set_ylabel("mean count per point")
    return figure


def wait_time_figure(wait_times: pd.DataFrame, *, log: bool = False) -> Figure:
    """Histograms of time to match and time to pickup (``wait_time_histogram`` rows),
    as the share of trips per bucket, in seconds.

    Parameters
    ----------
    log
        A logarithmic share axis: the long tail of waits stays visible.
    """
    waits = ("time_to_match", "time_to_pickup")
    figure = new_figure(1, 2, width=4.5, height=3.0)
    if wait_times.empty:
        return _empty(figure, "no trips in committed points")
    panels = figure.subplots(1, 2)
    for axes, wait in zip(panels, waits, strict=True):
        part = wait_times[wait_times["wait"] == wait]
        if part.empty:
            axes.set_axis_off()
            axes.text(0.5, 0.5, f"no {wait.replace('_', ' ')}", ha="center", va="center")
            continue
        start = part["bucket_start_s"].astype("float64")
        width = (part["bucket_end_s"] - part["bucket_start_s"]).astype("float64")
        axes.bar(start, part["share"], width=width, align="edge")
        if log:
            axes.set_yscale("log")
        trips = int(part["trips"].sum())
        axes.set_title(f"{wait.replace('_', ' ')} ({trips:,} trips)")
        axes.set_xlabel("seconds")
    panels[0].set_ylabel("share of trips" + (" (log scale)" if log else ""))
    return figure


def comparison_figure(
    comparison: RunComparison, *, metrics: Sequence[str] | None = None, max_points: int = 30
) -> Figure:
    """Delta (``b − a``) per matching point for each metric, with its interval when both
    runs replicate the point; a dashed line marks no difference.

    Points are labelled by the dimensions that vary between them.

    Parameters
    ----------
    metrics
        Which metrics (default: those with intervals, else the first four).
    max_points
        Most points drawn: those with the largest absolute delta of the first metric.
    """
    points = comparison.points
    default = list(comparison.interval_metrics or comparison.metrics)[:4]
    chosen = list(metrics) if metrics is not None else default
    rows = min(len(points), max_points)
    figure = new_figure(1, max(1, len(chosen)), width=3.6, height=0.28 * rows + 1.6)
    if points.empty or not chosen:
        return _empty(figure, "no parameter point is in both runs")
    first = points[f"{chosen[0]}_delta"].astype("float64").abs()
    shown = points.loc[first.sort_values(ascending=False, kind="stable").index[:max_points]]
    shown = shown.iloc[::-1]
    varying = [d for d in comparison.dimensions if points[d].astype(str).nunique() > 1]
    labels = [
        ", ".join(f"{d}={_short(row[d])}" for d in varying) or f"point {n}"
        for n, (_, row) in enumerate(shown.iterrows())
    ]
    panels = figure.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
    positions = list(range(len(shown)))
    for axes, metric in zip(panels, chosen, strict=True):
        scale = _scale(metric)
        delta = shown[f"{metric}_delta"].astype("float64") / scale
        if f"{metric}_low" in shown.columns:
            low = (delta - shown[f"{metric}_low"].astype("float64") / scale).fillna(0.0)
            high = (shown[f"{metric}_high"].astype("float64") / scale - delta).fillna(0.0)
            axes.errorbar(delta, positions, xerr=[low, high], fmt="o", capsize=3)
        else:
            axes.plot(delta, positions, "o")
        axes.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        axes.set_title(f"Δ {_label(metric)}", fontsize="medium")
    panels[0].set_yticks(positions, labels, fontsize="small")
    level = f"{comparison.confidence:.0%} {comparison.method}"
    figure.suptitle(
        f"{comparison.run_b} − {comparison.run_a} per point ({level} intervals where both "
        "runs replicate the point)",
        fontsize="medium",
    )
    return figure


def report_figures(report: RunReport) -> dict[str, Figure]:
    """Every figure of a run report, by name (for saving them all at once)."""
    return {
        "coverage": coverage_figure(report.coverage),
        "metrics_by_dimension": metrics_by_dimension_figure(report.by_dimension),
        "timeseries": timeseries_figure(report.timeseries),
        "wait_times": wait_time_figure(report.wait_times),
    }
