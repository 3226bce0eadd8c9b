"""A run's report: every table the ``run_report`` notebook shows, from the named queries."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.analysis._contrasts import (
    Contrasts,
    contrasts,
    default_baseline,
    no_contrasts,
)
from sweeplib.analysis._effects import (
    Effects,
    design_point_summary,
    effects,
    factor_dimensions,
)
from sweeplib.analysis._engines import committed_point_indexes, named_frame, point_frame
from sweeplib.analysis._frames import swept_dimensions
from sweeplib.analysis._inputs import json_list, json_object
from sweeplib.analysis._points import dimensions_of, metric_column, run_points
from sweeplib.analysis._stats import AdjustMethod
from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest, ObjectNotFound
from sweeplib.query import QueryEngine
from sweeplib.storage.schemas import SHARD_METRICS_SCHEMA

__all__ = [
    "DEFAULT_METRICS",
    "METRIC_NAMES",
    "RunReport",
    "merge_timeseries",
    "merge_wait_histograms",
    "metrics_by_dimension",
    "run_report",
    "wait_time_summary",
]

#: The ``shard_metrics`` columns ``metric_by_dimension`` accepts.
METRIC_NAMES: Final = tuple(SHARD_METRICS_SCHEMA.names)
#: The metrics a report plots against each swept dimension by default.
DEFAULT_METRICS: Final = (
    "conversion_rate",
    "platform_revenue",
    "avg_time_to_match_ms",
    "avg_time_to_pickup_ms",
    "completed_trips",
)


@dataclass(frozen=True)
class RunReport:
    """What is known about one run, as DataFrames.

    Attributes
    ----------
    run_id : str
    profile : pandas.DataFrame
        One row (named query ``run_profile``): shard attempts, successes, failures,
        failure rate, successful points, run window, points per second, expected shards
        and points.
    coverage : pandas.DataFrame
        One row per planned shard (``shard_coverage``): ``succeeded``, ``failed`` or
        ``missing``.
    failures : pandas.DataFrame
        Failed shards by error code (``failure_diagnostics``); empty when none failed.
    points : pandas.DataFrame
        One row per committed point (:func:`~sweeplib.analysis.run_points`): identity,
        one typed column per dimension, every metric unrounded, times in seconds.
    activity : pandas.DataFrame
        Per point: trips by final state, pickup distance, marketplace peaks
        (``point_trips_snapshots``), with the point's dimension columns.
    dimensions : tuple of str
        The dimension columns of ``points``, in sweep order.
    swept : tuple of str
        The dimensions that take more than one value.
    by_dimension : pandas.DataFrame
        Long format (what ``metric_by_dimension`` answers for each swept dimension and
        metric, computed from ``points``):
        ``dimension``, ``metric``, ``dimension_value``, ``points``, ``mean``, ``min``,
        ``max``, ``stddev``.
    timeseries : pandas.DataFrame
        Average marketplace state per time bucket across points
        (``marketplace_timeseries``).
    wait_times : pandas.DataFrame
        Histogram of time to match and time to pickup (``wait_time_histogram``).
    metrics : tuple of str
        The metrics of ``by_dimension`` (stored names).
    design_summary : pandas.DataFrame
        Per design point: replicates, and each metric's mean, SD and t interval over them
        (:func:`~sweeplib.analysis.design_point_summary`).
    effects : tuple of Effects
        Per metric (times in seconds): main effects and two-way interactions of the
        dimensions with 2–12 values, with intervals (:func:`~sweeplib.analysis.effects`);
        empty when no dimension is such a factor.
    """

    run_id: str
    profile: pd.DataFrame
    coverage: pd.DataFrame
    failures: pd.DataFrame
    points: pd.DataFrame
    activity: pd.DataFrame
    dimensions: tuple[str, ...]
    swept: tuple[str, ...]
    by_dimension: pd.DataFrame
    timeseries: pd.DataFrame
    wait_times: pd.DataFrame
    metrics: tuple[str, ...] = field(default=DEFAULT_METRICS)
    design_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: tuple[Effects, ...] = ()

    @property
    def effect_metrics(self) -> tuple[str, ...]:
        """The metrics of :attr:`effects` and :attr:`design_summary`, as analysis columns
        (times in seconds: ``avg_time_to_match_s`` …)."""
        return tuple(metric_column(m) for m in self.metrics)

    def contrasts(
        self,
        baseline: Mapping[str, Any] | None = None,
        *,
        metrics: Sequence[str] | None = None,
        confidence: float = 0.95,
        adjust: AdjustMethod = "holm",
    ) -> Contrasts:
        """Every other configuration of the baseline's dimensions against it, within the
        run (:func:`~sweeplib.analysis.contrasts`; default metrics: :attr:`effect_metrics`).

        Parameters
        ----------
        baseline
            E.g. ``{"num_drivers": 100}`` (a set of points) or values of every swept
            dimension (one design point); default: the first value of the first factor.
        """
        given = json_object("baseline", baseline)  # a dict, or JSON text from papermill -p
        chosen = dict(given) if given else default_baseline(self.points)
        if chosen is None:
            return no_contrasts("no dimension takes 2–12 values in this run")
        return contrasts(
            self.points,
            chosen,
            metrics=list(metrics) if metrics is not None else list(self.effect_metrics),
            confidence=confidence,
            adjust=adjust,
        )

    def anova(self) -> pd.DataFrame:
        """Every metric's ANOVA table (:attr:`Effects.anova`) in one frame, with a
        ``metric`` column first; empty without effects or residual degrees of freedom."""
        tables = [e.anova.assign(metric=e.metric) for e in self.effects if len(e.anova)]
        if not tables:
            return pd.DataFrame(
                {name: [] for name in ("metric", "term", "df", "F", "p", "p_adjusted")}
            )
        table = pd.concat(tables, ignore_index=True)
        return table[["metric", *[c for c in table.columns if c != "metric"]]]

    @property
    def notes(self) -> tuple[str, ...]:
        """The effects' notes (unbalanced design, no intervals …), each once."""
        return tuple(dict.fromkeys(note for e in self.effects for note in e.notes))

    @property
    def summary(self) -> dict[str, Any]:
        """The profile's one row as a dict (empty for an unknown run)."""
        if self.profile.empty:
            return {}
        row: dict[str, Any] = self.profile.iloc[0].to_dict()
        return row

    def headline(self) -> str:
        """A few Markdown lines: how complete the run is and what it swept."""
        s = self.summary
        expected_points = _integer(s.get("expected_points"))
        expected_shards = _integer(s.get("expected_shards"))
        succeeded = _integer(s.get("successful_shards")) or 0
        failed = _integer(s.get("failed_shards")) or 0
        missing = int((self.coverage["state"] == "missing").sum()) if len(self.coverage) else 0
        lines = [
            f"**Run `{self.run_id}`**: {_integer(s.get('successful_points')) or 0} of "
            f"{_shown(expected_points)} point(s) committed; {succeeded} of "
            f"{_shown(expected_shards)} shard(s) succeeded, {failed} failed, "
            f"{missing} missing.",
        ]
        window = s.get("run_window_seconds")
        rate = s.get("points_per_second")
        if window is not None and not pd.isna(window):
            lines.append(
                f"Outcome records span {float(window):.1f} s"
                + (
                    f" ({float(rate):.2f} points/s)."
                    if rate is not None and not pd.isna(rate)
                    else "."
                )
            )
        if self.swept:
            lines.append("Swept dimensions: " + ", ".join(f"`{d}`" for d in self.swept) + ".")
        constants = [d for d in self.dimensions if d not in self.swept]
        if constants and not self.points.empty:
            first = self.points.iloc[0]
            fixed = ", ".join(f"`{d}` = {_scalar(first[d])}" for d in constants)
            lines.append(f"Fixed: {fixed}.")
        if failed:
            codes = ", ".join(
                f"{row.error_code} ({row.failed_shards})" for row in self.failures.itertuples()
            )
            lines.append(f"Failures by error code: {codes}.")
        lines.extend(f"**Note**: {note}" for note in self.notes)
        return "  \n".join(lines)


def _integer(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)


def _scalar(value: Any) -> str:
    value = value.item() if hasattr(value, "item") else value
    return "null" if value is None or value != value else repr(value)


def _shown(value: int | None) -> str:
    return "?" if value is None else str(value)


def _stored(name: str) -> str:
    """The stored column of a metric named in seconds (``avg_time_to_match_s`` →
    ``avg_time_to_match_ms``); other names unchanged."""
    if name.endswith("_s") and name.removesuffix("_s") + "_ms" in METRIC_NAMES:
        return name.removesuffix("_s") + "_ms"
    return name


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):  # one name, or a JSON list (as papermill -p passes it)
        metrics = json_list("metrics", metrics) if metrics.lstrip().startswith("[") else [metrics]
    metrics = [_stored(name) for name in metrics]
    for name in metrics:
        if name not in METRIC_NAMES:
            raise InvalidRequest(
                "metrics", f"unknown metric {name!r}; known: {', '.join(METRIC_NAMES)}"
            )
    return tuple(metrics)


def metrics_by_dimension(
    engine: QueryEngine,
    run_id: str,
    dimensions: Sequence[str],
    metrics: Sequence[str],
    *,
    points: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``metric_by_dimension`` for every (dimension, metric) pair, in one long frame.

    One query per pair (on Athena each is a query execution; keep ``metrics`` short).
    ``points`` are the run's committed point indexes (looked up when not given).

    Raises
    ------
    InvalidRequest
        An unknown metric.
    """
    chosen = _check_metrics(metrics)
    if points is None:
        points = committed_point_indexes(named_frame(engine, "shard_coverage", run_id=run_id))
    frames = []
    for dimension in dimensions:
        for metric in chosen:
            frame = point_frame(
                engine,
                "metric_by_dimension",
                points,
                run_id=run_id,
                dimension=dimension,
                metric=metric,
            )
            frame.insert(0, "metric", metric)
            frame.insert(0, "dimension", dimension)
            frames.append(frame)
    columns = ["dimension", "metric", "dimension_value", "points", "mean", "min", "max", "stddev"]
    if not frames:
        return pd.DataFrame({name: [] for name in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _by_dimension(
    points: pd.DataFrame, swept: Sequence[str], metrics: Sequence[str]
) -> pd.DataFrame:
    """What :func:`metrics_by_dimension` answers, from the points already read (no more
    queries): per swept dimension, metric (stored units) and value, the points and the
    mean, min, max and sample SD over them."""
    columns = ["dimension", "metric", "dimension_value", "points", "mean", "min", "max", "stddev"]
    rows = []
    for dimension in swept:
        for metric in metrics:
            scale = 1000.0 if metric.endswith("_ms") else 1.0  # back to the stored unit
            values = points[metric_column(metric)].astype("float64") * scale
            for value, group in values.groupby(points[dimension], sort=False):
                rows.append(
                    {
                        "dimension": dimension,
                        "metric": metric,
                        "dimension_value": value
                        if isinstance(value, str)
                        else json.dumps(_plain(value)),
                        "points": int(group.notna().sum()),
                        "mean": float(group.mean()),
                        "min": float(group.min()),
                        "max": float(group.max()),
                        "stddev": float(group.std(ddof=1)) if group.notna().sum() > 1 else None,
                    }
                )
    frame = pd.DataFrame(rows, columns=columns)
    order = pd.to_numeric(frame["dimension_value"], errors="coerce")
    return (
        frame.assign(_order=order)
        .sort_values(["dimension", "metric", "_order", "dimension_value"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def merge_timeseries(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Combine ``marketplace_timeseries`` results of disjoint sets of points.

    Each bucket's averages are over points, so the combined average is the
    ``points``-weighted mean of the parts (exact).
    """
    data = pd.concat(list(frames), ignore_index=True)
    values = [c for c in data.columns if c not in ("time_s", "points")]
    weighted = data[values].mul(data["points"], axis=0)
    weighted["time_s"] = data["time_s"]
    weighted["points"] = data["points"]
    grouped = weighted.groupby("time_s", sort=True).sum()
    result = grouped[values].div(grouped["points"], axis=0)
    result.insert(0, "points", grouped["points"].astype("int64"))
    return result.reset_index()[["time_s", "points", *values]]


def merge_wait_histograms(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Combine ``wait_time_histogram`` results of disjoint sets of points (exact): trips
    add up per bucket, shares are recomputed per wait."""
    data = pd.concat(list(frames), ignore_index=True)
    keys = ["wait", "bucket_start_s", "bucket_end_s"]
    grouped = data.groupby(keys, sort=True, as_index=False)["trips"].sum()
    grouped["trips"] = grouped["trips"].astype("int64")
    grouped["share"] = grouped["trips"] / grouped.groupby("wait")["trips"].transform("sum")
    return grouped[[*keys, "trips", "share"]]


def wait_time_summary(histogram: pd.DataFrame) -> pd.DataFrame:
    """Trips, median and 90th percentile of each wait, at the histogram's resolution.

    The percentiles are the **upper edge** of the bucket that reaches the share (so
    they are exact to one bucket width, on either engine).

    Parameters
    ----------
    histogram
        The ``wait_time_histogram`` rows (``wait``, ``bucket_end_s``, ``trips``).
    """
    rows = []
    for wait, group in histogram.sort_values(["wait", "bucket_start_s"]).groupby("wait", sort=True):
        trips = group["trips"].astype("int64")
        total = int(trips.sum())
        cumulative = trips.cumsum() / total
        ends = group["bucket_end_s"].to_numpy()
        rows.append(
            {
                "wait": wait,
                "trips": total,
                "median_s_at_most": float(ends[int((cumulative >= 0.5).to_numpy().argmax())]),
                "p90_s_at_most": float(ends[int((cumulative >= 0.9).to_numpy().argmax())]),
            }
        )
    columns = ["wait", "trips", "median_s_at_most", "p90_s_at_most"]
    return pd.DataFrame(rows, columns=columns)


def run_report(
    engine: QueryEngine,
    run_id: str,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    timeseries_bucket_s: float = 60,
    wait_bucket_s: float = 30,
    confidence: float = 0.95,
) -> RunReport:
    """Query everything the run report shows.

    Parameters
    ----------
    engine
        From :func:`open_engine` (DuckDB locally, or Athena).
    run_id
        The run.
    metrics
        ``shard_metrics`` columns to tabulate against each swept dimension.
    timeseries_bucket_s, wait_bucket_s
        Bucket widths (simulated seconds) of the time series and the wait histograms.
    confidence
        Two-sided coverage of the design-point and effect intervals.

    Returns
    -------
    RunReport

    Raises
    ------
    InvalidRequest
        A bad run id, metric or bucket width; a run id the tables hold nothing of (no
        run context, no outcome record), with the close matches (ADR 0017).
    ObjectNotFound
        Kept for engines that answer the run check but return no profile row.
    QueryError
        The engine failed.
    """
    validate_run_id(run_id)
    chosen = _check_metrics(metrics)
    for name, width in (
        ("timeseries_bucket_s", timeseries_bucket_s),
        ("wait_bucket_s", wait_bucket_s),
    ):
        if not width > 0:
            raise InvalidRequest(name, f"must be > 0, got {width!r}")
    profile = named_frame(engine, "run_profile", run_id=run_id)
    coverage = named_frame(engine, "shard_coverage", run_id=run_id)
    unknown = profile.empty or (
        int(profile["shard_attempts"].iloc[0]) == 0 and pd.isna(profile["expected_shards"].iloc[0])
    )
    if unknown:
        raise ObjectNotFound(f"run {run_id} (no run_context and no shard_outcomes rows)")
    committed = committed_point_indexes(coverage)
    points = run_points(engine, run_id)
    dimensions = list(dimensions_of(points))
    swept = swept_dimensions(points, dimensions)
    factors = factor_dimensions(points)
    run_effects = (
        tuple(
            effects(points, metric_column(m), dimensions=factors, confidence=confidence)
            for m in chosen
        )
        if factors and len(points)
        else ()
    )
    activity = point_frame(engine, "point_trips_snapshots", committed, run_id=run_id)
    keys = points[["point_index", *dimensions]]
    activity = keys.merge(activity, on="point_index", how="right")
    return RunReport(
        run_id=run_id,
        profile=profile,
        coverage=coverage,
        failures=named_frame(engine, "failure_diagnostics", run_id=run_id),
        points=points,
        activity=activity,
        dimensions=tuple(dimensions),
        swept=tuple(swept),
        by_dimension=_by_dimension(points, swept, chosen),
        timeseries=point_frame(
            engine,
            "marketplace_timeseries",
            committed,
            merge=merge_timeseries,
            run_id=run_id,
            bucket_seconds=timeseries_bucket_s,
        ),
        wait_times=point_frame(
            engine,
            "wait_time_histogram",
            committed,
            merge=merge_wait_histograms,
            run_id=run_id,
            bucket_seconds=wait_bucket_s,
        ),
        metrics=chosen,
        design_summary=design_point_summary(
            points, [metric_column(m) for m in chosen], confidence=confidence
        ),
        effects=run_effects,
    )
