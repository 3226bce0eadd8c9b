"""Figures of the analysis tables (:mod:`sweeplib.analysis`), with matplotlib.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``: it
is drawn by the non-interactive Agg canvas (``fig.savefig(...)`` works anywhere, no
window ever opens, nothing accumulates in pyplot's global figure list). In a notebook,
``display(fig)`` or a figure as the cell's last value shows it once ``%matplotlib
inline`` is active (the notebooks' first cell).

Needs the ``notebooks`` extra (matplotlib, pandas).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sweeplib.analysis import (
    Contrasts,
    CostEstimate,
    Effects,
    RunComparison,
    RunReport,
    Sensitivity,
)
from sweeplib.contracts import SweepRequest
from sweeplib.planning import request_point

__all__ = [
    "MAX_PANELS",
    "STATE_COLORS",
    "comparison_figure",
    "coverage_figure",
    "design_figure",
    "distribution_figure",
    "effects_figure",
    "estimate_figure",
    "forest_figure",
    "heatmap_figure",
    "interaction_figure",
    "interactions_figure",
    "metrics_by_dimension_figure",
    "new_figure",
    "report_figures",
    "scatter_figure",
    "sensitivity_figure",
    "timeseries_figure",
    "wait_time_figure",
]

#: Shard state → colour in :func:`coverage_figure`.
STATE_COLORS: Final = {"succeeded": "#2e7d32", "failed": "#c62828", "missing": "#9e9e9e"}
#: Most panels one figure draws (rows × columns); the rest are left out, with a note.
MAX_PANELS: Final = 24

_RIDERS: Final = ("riders_browsing", "riders_waiting", "riders_in_transit")
_DRIVERS: Final = (
    "drivers_idle",
    "drivers_evaluating",
    "drivers_en_route",
    "drivers_on_trip",
    "drivers_off_duty",
)
_TRIPS: Final = ("trips_en_route", "trips_on_trip", "trips_completed", "trips_cancelled")
_LABELS: Final = {
    "conversion_rate": "conversion rate",
    "platform_revenue": "platform revenue",
    "driver_payouts": "driver payouts",
    "avg_time_to_match_ms": "avg time to match (s)",
    "avg_time_to_pickup_ms": "avg time to pickup (s)",
    "completed_trips": "completed trips",
}


def new_figure(
    rows: int = 1, columns: int = 1, *, width: float = 5.0, height: float = 3.2
) -> Figure:
    """An empty figure on the Agg canvas, ``width`` × ``height`` inches per panel."""
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _label(name: str) -> str:
    """Axis label of a metric; ``*_ms`` metrics are drawn in seconds."""
    if name in _LABELS:
        return _LABELS[name]
    for suffix in ("_ms", "_s"):  # analysis frames hold times in seconds (``*_s``)
        if name.endswith(suffix):
            return name.removesuffix(suffix).replace("_", " ") + " (s)"
    return name.replace("_", " ")


def _scale(name: str) -> float:
    return 1000.0 if name.endswith("_ms") else 1.0


def _empty(figure: Figure, text: str) -> Figure:
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    return figure


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


def _short(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    return str(value)


def report_figures(report: RunReport) -> dict[str, Figure]:
    """Every figure of a run report, by name (for saving them all at once)."""
    return {
        "coverage": coverage_figure(report.coverage),
        "metrics_by_dimension": metrics_by_dimension_figure(report.by_dimension),
        "timeseries": timeseries_figure(report.timeseries),
        "wait_times": wait_time_figure(report.wait_times),
    }


def _level_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "default"
    return _short(value)


def _readable_ticks(axes: Any, labels: Sequence[str], axis: str = "x") -> None:
    """Tick labels that never overlap: rotated when long or many, thinned when too many."""
    positions = list(range(len(labels)))
    step = max(1, math.ceil(len(labels) / 12))
    shown = [label if i % step == 0 else "" for i, label in enumerate(labels)]
    if axis == "x":
        rotate = len(labels) > 4 or max((len(t) for t in labels), default=0) > 6
        axes.set_xticks(
            positions, shown, rotation=30 if rotate else 0, ha="right" if rotate else "center"
        )
    else:
        axes.set_yticks(positions, shown)


def _effects_list(effects: Effects | Sequence[Effects]) -> list[Effects]:
    return [effects] if isinstance(effects, Effects) else list(effects)


def _interval(axes: Any, x: Sequence[float], part: pd.DataFrame, **style: Any) -> None:
    emm = part["emm"].astype("float64")
    error = [(emm - part["low"]).fillna(0.0), (part["high"] - emm).fillna(0.0)]
    axes.errorbar(x, emm, yerr=error, marker="o", **style)


def effects_figure(effects: Effects | Sequence[Effects]) -> Figure:
    """Metric against each dimension with intervals: the estimated marginal means of
    :func:`~sweeplib.analysis.effects` (one row of panels per metric, one panel per
    dimension), ``confidence`` intervals as bars, and where the design is unbalanced
    the plain mean of the points as a hollow grey marker (confounded: see the notes)."""
    chosen = _effects_list(effects)
    if not chosen:
        return _empty(new_figure(), "no dimension takes 2–12 values: no effects to draw")
    columns = max(len(e.factors) for e in chosen)
    rows = max(1, min(len(chosen), MAX_PANELS // max(columns, 1)))
    figure = new_figure(rows, columns, width=3.8, height=2.9)
    panels = figure.subplots(rows, columns, squeeze=False)
    for row, effect in enumerate(chosen[:rows]):
        for column in range(columns):
            axes = panels[row][column]
            if column >= len(effect.factors):
                axes.set_axis_off()
                continue
            dimension = effect.factors[column]
            part = effect.main[effect.main["dimension"] == dimension]
            x = list(range(len(part)))
            _interval(axes, x, part, capsize=3, color="#1565c0")
            if not effect.balanced:
                axes.plot(x, part["mean"], "o", mfc="none", color="#9e9e9e", label="plain mean")
                axes.legend(fontsize="x-small")
            _readable_ticks(axes, [_level_text(v) for v in part["level"]])
            axes.set_xlabel(dimension)
            if column == 0:
                axes.set_ylabel(_label(effect.metric))
    level = f"{chosen[0].confidence:.0%}"
    figure.suptitle(f"estimated marginal means with {level} intervals", fontsize="medium")
    return figure


def _split_panel(axes: Any, effect: Effects, dimension: str, split_by: str) -> None:
    pairs = effect.pairs
    forward = (pairs["dimension_a"] == dimension) & (pairs["dimension_b"] == split_by)
    if forward.any():
        part, x_column, hue_column = pairs[forward], "level_a", "level_b"
    else:
        backward = (pairs["dimension_a"] == split_by) & (pairs["dimension_b"] == dimension)
        part, x_column, hue_column = pairs[backward], "level_b", "level_a"
    x_levels = list(dict.fromkeys(part[x_column]))
    hues = list(dict.fromkeys(part[hue_column]))
    for i, hue in enumerate(hues):
        line = part[part[hue_column] == hue]
        offset = 0.08 * (i - (len(hues) - 1) / 2)  # side by side, intervals readable
        x = [x_levels.index(v) + offset for v in line[x_column]]
        _interval(axes, x, line, capsize=2, label=f"{split_by}={_level_text(hue)}")
    axes.legend(fontsize="x-small")
    _readable_ticks(axes, [_level_text(v) for v in x_levels])


def interaction_figure(effects: Effects, dimension: str, split_by: str) -> Figure:
    """``effects.metric`` against ``dimension``, one line per level of ``split_by``, with
    intervals (the two-way estimated marginal means): lines that are not parallel are an
    interaction."""
    for name in (dimension, split_by):
        if name not in effects.factors:
            raise ValueError(f"{name!r} is not a factor of these effects: {effects.factors}")
    figure = new_figure(width=5.0, height=3.4)
    axes = figure.add_subplot()
    _split_panel(axes, effects, dimension, split_by)
    axes.set_xlabel(dimension)
    axes.set_ylabel(_label(effects.metric))
    axes.set_title(f"{_label(effects.metric)}: {dimension} × {split_by}", fontsize="medium")
    return figure


def interactions_figure(effects: Effects | Sequence[Effects], *, max_pairs: int = 3) -> Figure:
    """Every metric (rows) against the first dimension of each pair of factors, one line
    per level of the other (columns: up to ``max_pairs`` pairs), with intervals."""
    chosen = _effects_list(effects)
    pairs = [list(itertools.combinations(e.factors, 2))[:max_pairs] for e in chosen]
    columns = max((len(p) for p in pairs), default=0)
    if not columns:
        return _empty(new_figure(), "fewer than two factors: no interactions to draw")
    rows = max(1, min(len(chosen), MAX_PANELS // columns))
    figure = new_figure(rows, columns, width=3.8, height=2.9)
    panels = figure.subplots(rows, columns, squeeze=False)
    for row, (effect, combos) in enumerate(zip(chosen[:rows], pairs, strict=False)):
        for column in range(columns):
            axes = panels[row][column]
            if column >= len(combos):
                axes.set_axis_off()
                continue
            dimension, split_by = combos[column]
            _split_panel(axes, effect, dimension, split_by)
            axes.set_xlabel(dimension)
            if column == 0:
                axes.set_ylabel(_label(effect.metric))
    figure.suptitle("two-way estimated marginal means with intervals", fontsize="medium")
    return figure


def heatmap_figure(
    effects: Effects | Sequence[Effects],
    dimension: str | None = None,
    other: str | None = None,
    *,
    value: str = "emm",
) -> Figure:
    """The metric over two dimensions as a heatmap of the two-way cells (``value``:
    ``"emm"`` estimated marginal means, or ``"mean"`` the plain means of the points),
    annotated. A cell without points says so: its estimated mean is the model's
    prediction (additive when the interactions were left out), not a measurement.

    Parameters
    ----------
    effects
        One metric's effects, or several (the first is drawn).
    dimension, other
        The rows and the columns (default: the first two factors).
    """
    import seaborn as sns

    chosen = _effects_list(effects)
    if not chosen or len(chosen[0].factors) < 2:
        return _empty(new_figure(), "fewer than two factors: no heatmap")
    effect = chosen[0]
    dimension = dimension or effect.factors[0]
    other = other or next(f for f in effect.factors if f != dimension)
    pairs = effect.pairs
    part = pairs[(pairs["dimension_a"] == dimension) & (pairs["dimension_b"] == other)]
    rows_column, columns_column = "level_a", "level_b"
    if part.empty:
        part = pairs[(pairs["dimension_a"] == other) & (pairs["dimension_b"] == dimension)]
        rows_column, columns_column = "level_b", "level_a"
    if part.empty:
        raise ValueError(f"no two-way cells of {dimension!r} and {other!r}: {effect.factors}")
    table = part.pivot_table(
        index=rows_column, columns=columns_column, values=value, aggfunc="first", dropna=False
    ).astype("float64")
    counts = part.pivot_table(
        index=rows_column, columns=columns_column, values="points", aggfunc="first"
    ).reindex(index=table.index, columns=table.columns)
    labels = table.map(lambda v: "" if math.isnan(v) else f"{v:.3g}")
    labels = labels.where(counts.fillna(0) > 0, labels + "\n(no points)")
    table.index = [_level_text(v) for v in table.index]
    table.columns = [_level_text(v) for v in table.columns]
    figure = new_figure(width=1.2 * len(table.columns) + 2.6, height=0.55 * len(table) + 1.6)
    axes = figure.add_subplot()
    sns.heatmap(
        table,
        annot=labels.to_numpy(),
        fmt="",
        cmap="viridis",
        ax=axes,
        cbar_kws={"label": _label(effect.metric)},
    )
    axes.set_ylabel(dimension)
    axes.set_xlabel(other)
    axes.tick_params(axis="x", labelrotation=30)
    axes.set_title(f"{_label(effect.metric)} ({value})", fontsize="medium")
    return figure


def distribution_figure(
    points: pd.DataFrame,
    metrics: str | Sequence[str],
    by: str | Sequence[str] | None,
    *,
    log: bool = False,
    kind: str = "box",
) -> Figure:
    """The distribution of point metrics across points, split by a dimension (one panel
    per metric): boxes (``kind="box"``) or violins (``"violin"``), every point drawn over
    them.

    Parameters
    ----------
    by
        The dimension to split by (a sequence: its first item; empty or ``None``: no
        split, an empty figure that says so).
    log
        Logarithmic axes for the time metrics (``*_s``), whose tails are long.
    """
    import seaborn as sns

    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    split: str | None = by if isinstance(by, str) or by is None else next(iter(by), None)
    if split is None:
        return _empty(new_figure(), "no swept dimension to split by")
    missing = [name for name in (*chosen, split) if name not in points.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r}; have {list(points.columns)}")
    order = sorted(points[split].dropna().unique().tolist())
    labels = [_level_text(v) for v in order]
    columns = min(len(chosen), 3) or 1
    rows = max(1, math.ceil(len(chosen) / columns))
    width = max(3.6, 0.6 * len(labels) + 1.8)
    figure = new_figure(rows, columns, width=width, height=3.0)
    if points.empty or not chosen:
        return _empty(figure, "no points")
    panels = figure.subplots(rows, columns, squeeze=False)
    draw = sns.violinplot if kind == "violin" else sns.boxplot
    extra: dict[str, Any] = {"cut": 0} if kind == "violin" else {"showfliers": False}
    for index, metric in enumerate(chosen):
        axes = panels[index // columns][index % columns]
        data = points[[split, metric]].dropna(subset=[metric]).copy()
        data[split] = data[split].map(_level_text)
        with warnings.catch_warnings():
            # seaborn 0.13 passes matplotlib ≥ 3.11 the deprecated ``vert``; harmless
            warnings.filterwarnings("ignore", message="vert: bool was deprecated")
            draw(data=data, x=split, y=metric, order=labels, ax=axes, color="#90caf9", **extra)
        sns.stripplot(data=data, x=split, y=metric, order=labels, ax=axes, color="#0d47a1", size=3)
        logged = log and metric.endswith("_s") and bool((data[metric] > 0).all())
        if logged:
            axes.set_yscale("log")
        axes.set_ylabel(_label(metric) + (" (log)" if logged else ""))
        _readable_ticks(axes, labels)
        axes.set_xlabel(split)
    for index in range(len(chosen), rows * columns):
        panels[index // columns][index % columns].set_axis_off()
    return figure


def forest_figure(
    contrasts: Contrasts, *, metrics: Sequence[str] | None = None, relative: bool = False
) -> Figure:
    """Each treatment against the baseline: the difference with its interval, one panel
    per metric (red, filled: significant after the multiple-comparison correction); a
    dashed line marks no difference.

    Parameters
    ----------
    relative
        Draw differences as a share of the baseline mean (metrics in different units
        side by side).
    """
    table = contrasts.table
    chosen = list(metrics) if metrics is not None else list(contrasts.metrics)[:6]
    treatments = list(contrasts.treatments)
    columns = min(len(chosen), 3) or 1
    rows = max(1, math.ceil(len(chosen) / columns))
    figure = new_figure(rows, columns, width=3.8, height=0.35 * len(treatments) + 1.5)
    if table.empty or not chosen:
        return _empty(figure, contrasts.headline().strip("*"))
    panels = figure.subplots(rows, columns, squeeze=False)
    positions = list(range(len(treatments)))[::-1]
    for index, metric in enumerate(chosen):
        axes = panels[index // columns][index % columns]
        part = table[table["metric"] == metric].set_index("treatment").reindex(treatments)
        scale = part["baseline_mean"].abs().replace(0.0, math.nan) if relative else 1.0
        delta = part["delta"] / scale
        low = (delta - part["low"] / scale).fillna(0.0)
        high = (part["high"] / scale - delta).fillna(0.0)
        hits = part["significant"].fillna(False).astype(bool)
        for y, d, lo, hi, hit in zip(positions, delta, low, high, hits, strict=True):
            axes.errorbar(
                [d],
                [y],
                xerr=[[lo], [hi]],
                fmt="o",
                capsize=3,
                color="#c62828" if hit else "#1565c0",
                mfc=None if hit else "white",
            )
        axes.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        axes.set_title(("Δ% " if relative else "Δ ") + _label(metric), fontsize="medium")
        if relative:
            axes.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        labels = treatments if index % columns == 0 else [""] * len(treatments)
        axes.set_yticks(positions, labels, fontsize="small")
        axes.xaxis.set_major_locator(MaxNLocator(5))
    for index in range(len(chosen), rows * columns):
        panels[index // columns][index % columns].set_axis_off()
    correction = "Holm" if contrasts.adjust == "holm" else "Benjamini–Hochberg"
    figure.suptitle(
        f"against {contrasts.baseline} ({contrasts.confidence:.0%} intervals; red: "
        f"significant after {correction})",
        fontsize="medium",
    )
    return figure


def _index_bars(axes: Any, part: pd.DataFrame) -> None:
    factors = list(dict.fromkeys(part["factor"]))
    names = list(dict.fromkeys(part["index"]))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        rows = part[part["index"] == name].set_index("factor").reindex(factors)
        x = [i + (k - (len(names) - 1) / 2) * width for i in range(len(factors))]
        value = rows["value"].astype("float64")
        error = [
            (value - rows["ci_low"]).clip(lower=0).fillna(0.0),
            (rows["ci_high"] - value).clip(lower=0).fillna(0.0),
        ]
        axes.bar(x, value, width=width, yerr=error, capsize=3, label=name)
    _readable_ticks(axes, factors)
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.legend(fontsize="small")


def sensitivity_figure(
    indices: Sensitivity | pd.DataFrame, *, metrics: Sequence[str] | None = None
) -> Figure:
    """Bar charts of sensitivity indices with their intervals: one row per metric, one
    panel per method (``sobol``, ``morris``, ``delta``), factors on the x axis.

    Parameters
    ----------
    indices
        A :class:`~sweeplib.analysis.Sensitivity`, or one metric's
        :func:`~sweeplib.analysis.sensitivity_indices` table.
    metrics
        Which metrics, in order (default: every metric with indices, up to 8).
    """
    table = indices.table if isinstance(indices, Sensitivity) else indices
    if "metric" not in table.columns:
        table = table.assign(metric="")
    if table.empty:
        return _empty(new_figure(), "no sensitivity indices")
    chosen = list(metrics) if metrics is not None else list(dict.fromkeys(table["metric"]))[:8]
    methods = list(dict.fromkeys(table["method"]))
    figure = new_figure(len(chosen), len(methods), width=4.0, height=2.9)
    panels = figure.subplots(len(chosen), len(methods), squeeze=False)
    for row, metric in enumerate(chosen):
        for column, method in enumerate(methods):
            axes = panels[row][column]
            part = table[(table["metric"] == metric) & (table["method"] == method)]
            if part.empty:
                axes.set_axis_off()
                continue
            _index_bars(axes, part)
            axes.set_title(f"{metric} — {method}" if metric else method, fontsize="medium")
    return figure


def scatter_figure(
    points: pd.DataFrame, metrics: str | Sequence[str], factors: Sequence[str]
) -> Figure:
    """Every point's metric against each factor's value (rows: metrics, columns:
    factors): what sensitivity indices summarise. Categorical factors are drawn at their
    position."""
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [name for name in (*chosen, *factors) if name not in points.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r}; have {list(points.columns)}")
    rows, columns = max(len(chosen), 1), max(len(factors), 1)
    figure = new_figure(rows, columns, width=3.4, height=2.6)
    if points.empty or not factors or not chosen:
        return _empty(figure, "no points")
    panels = figure.subplots(rows, columns, squeeze=False)
    for row, metric in enumerate(chosen):
        for column, factor in enumerate(factors):
            axes = panels[row][column]
            x = pd.to_numeric(points[factor], errors="coerce")
            if x.isna().any():
                labels = sorted(points[factor].map(_level_text).unique())
                x = points[factor].map(_level_text).map(labels.index)
                _readable_ticks(axes, labels)
            else:
                axes.xaxis.set_major_locator(MaxNLocator(5))
            axes.scatter(x, points[metric], s=8, alpha=0.6, color="#1565c0")
            if row == rows - 1:
                axes.set_xlabel(factor)
            if column == 0:
                axes.set_ylabel(_label(metric))
    return figure
