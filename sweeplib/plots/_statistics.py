"""Figures of the statistics: effects with intervals, interactions, heatmaps,
distributions, forest plots of contrasts, sensitivity indices."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sweeplib.analysis import Contrasts, Effects, Sensitivity
from sweeplib.plots._base import (
    MAX_PANELS,
    _empty,
    _label,
    _level_text,
    _readable_ticks,
    new_figure,
)


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
