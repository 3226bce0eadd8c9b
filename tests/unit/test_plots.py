"""sweeplib.plots: Figures on the Agg canvas, drawn from hand-made frames."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from matplotlib.figure import Figure

from sweeplib import plots
from sweeplib.analysis import Calibration, RunComparison, estimate_from_calibration

PNG = b"\x89PNG"


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_exports_resolve():
    assert plots.__all__ == sorted(plots.__all__, key=lambda n: (not n.isupper(), n))
    for name in plots.__all__:
        assert getattr(plots, name) is not None


def test_coverage_colours_each_shard_by_state():
    coverage = pd.DataFrame({"shard_id": [0, 1, 2], "state": ["succeeded", "failed", "missing"]})
    figure = plots.coverage_figure(coverage)
    (axes,) = figure.axes
    colors = [patch.get_facecolor()[:3] for patch in axes.patches]
    assert len(colors) == 3
    assert "1 succeeded, 1 failed, 1 missing" in axes.get_title()
    assert png(figure).startswith(PNG)


def test_metrics_by_dimension_grid_and_seconds():
    by_dimension = pd.DataFrame(
        {
            "dimension": ["num_drivers"] * 4 + ["surge_enabled"] * 2,
            "metric": ["avg_time_to_match_ms"] * 2 + ["conversion_rate"] * 2
            + ["avg_time_to_match_ms"] * 2,
            "dimension_value": ["10", "20", "10", "20", "true", "false"],
            "points": [2, 2, 2, 2, 2, 2],
            "mean": [4000.0, 2000.0, 0.5, 0.6, 3000.0, 1000.0],
            "min": [3000.0, 1000.0, 0.4, 0.5, 3000.0, 1000.0],
            "max": [5000.0, 3000.0, 0.6, 0.7, 3000.0, 1000.0],
            "stddev": [1.0] * 6,
        }
    )  # fmt: skip
    figure = plots.metrics_by_dimension_figure(by_dimension)
    assert len(figure.axes) == 4  # 2 metrics × 2 dimensions
    first = figure.axes[0]
    assert first.get_ylabel() == "avg time to match (s)"
    assert list(first.lines[0].get_ydata()) == [4.0, 2.0]  # milliseconds drawn as seconds
    assert list(first.lines[0].get_xdata()) == [10, 20]  # numeric values on a numeric axis
    assert png(figure).startswith(PNG)


def test_timeseries_and_wait_time_figures():
    timeseries = pd.DataFrame(
        {
            "time_s": [0, 3600],
            "points": [2, 2],
            **{c: [1.0, 2.0] for c in ("riders_waiting", "drivers_idle", "trips_completed")},
        }
    )
    figure = plots.timeseries_figure(timeseries)
    assert [a.get_title() for a in figure.axes] == ["riders", "drivers", "trips"]
    assert list(figure.axes[0].lines[0].get_xdata()) == [0.0, 1.0]  # hours
    waits = pd.DataFrame(
        {
            "wait": ["time_to_match", "time_to_match", "time_to_pickup"],
            "bucket_start_s": [0, 30, 60],
            "bucket_end_s": [30, 60, 90],
            "trips": [3, 1, 2],
            "share": [0.75, 0.25, 1.0],
        }
    )
    figure = plots.wait_time_figure(waits)
    assert [a.get_title() for a in figure.axes] == [
        "time to match (4 trips)",
        "time to pickup (2 trips)",
    ]
    assert png(figure).startswith(PNG)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plots.coverage_figure(pd.DataFrame({"shard_id": [], "state": []})),
        lambda: plots.metrics_by_dimension_figure(pd.DataFrame({"dimension": [], "metric": []})),
        lambda: plots.timeseries_figure(pd.DataFrame({"time_s": []})),
        lambda: plots.wait_time_figure(pd.DataFrame({"wait": []})),
    ],
)
def test_empty_tables_draw_a_note_instead_of_failing(draw):
    figure = draw()
    texts = [t.get_text() for a in figure.axes for t in a.texts]
    assert texts and texts[0].startswith("no ")
    assert png(figure).startswith(PNG)


def test_comparison_labels_points_by_the_varying_dimensions():
    points = pd.DataFrame(
        {
            "match_radius": [3, 3],
            "num_drivers": [10, 20],
            "conversion_rate_delta": [0.1, -0.3],
            "conversion_rate_low": [0.05, float("nan")],
            "conversion_rate_high": [0.15, float("nan")],
        }
    )
    comparison = RunComparison(
        run_a="a",
        run_b="b",
        points=points,
        dimensions=("match_radius", "num_drivers"),
        metrics=("conversion_rate",),
        interval_metrics=("conversion_rate",),
        confidence=0.95,
        method="welch",
    )
    figure = plots.comparison_figure(comparison)
    (axes,) = figure.axes
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["num_drivers=10", "num_drivers=20"]  # largest |delta| drawn on top
    assert "b − a" in figure.get_suptitle()
    assert png(figure).startswith(PNG)


def test_estimate_figure():
    estimate = estimate_from_calibration([2, 2], Calibration((0,), (1.0,), 0.5), local_workers=2)
    figure = plots.estimate_figure(estimate)
    assert len(figure.axes) == 2
    assert figure.axes[1].get_title().startswith("on Lambda: $")
    assert png(figure).startswith(PNG)


def _points_and_effects():
    import numpy as np

    from sweeplib.analysis import effects

    rng = np.random.default_rng(1)
    rows = [
        {
            "design_point": i,
            "replicate": r,
            "seed": r,
            "a": a,
            "b": b,
            "avg_time_to_match_s": float(np.exp(rng.normal(a / 20, 1.0))),
            "completed_trips": a + (b == "x") * 5 + rng.normal(),
        }
        for i, (a, b) in enumerate([(10, "x"), (10, "y"), (40, "x"), (40, "y")])
        for r in range(3)
        if not (a == 40 and b == "y")  # a missing combination
    ]
    frame = pd.DataFrame(rows)
    frame.attrs["dimensions"] = ("a", "b")
    return frame, [effects(frame, m) for m in ("completed_trips", "avg_time_to_match_s")]


def test_effects_figures_draw_intervals_and_say_what_is_missing():
    frame, chosen = _points_and_effects()
    figure = plots.effects_figure(chosen)
    assert len([a for a in figure.axes if a.get_visible()]) == 4  # 2 metrics × 2 factors
    assert figure.axes[0].get_ylabel() == "completed trips"
    assert figure.axes[2].get_ylabel() == "avg time to match (s)"  # seconds, one unit
    # unbalanced: the plain means are drawn beside the estimated ones
    assert any(line.get_label() == "plain mean" for line in figure.axes[0].get_lines())
    assert png(figure).startswith(PNG)
    # with the interaction the missing cell cannot be estimated: left blank
    heat = plots.heatmap_figure(chosen)
    assert len(heat.axes[0].texts) == 3
    # an additive model predicts it: annotated as a prediction, not a measurement
    from sweeplib.analysis import effects

    additive = effects(frame, "completed_trips", interactions=False)
    texts = [t.get_text() for t in plots.heatmap_figure(additive).axes[0].texts]
    assert len(texts) == 4 and sum("(no points)" in t for t in texts) == 1
    assert png(plots.interactions_figure(chosen)).startswith(PNG)
    empty = plots.interactions_figure([])
    assert "fewer than two factors" in empty.axes[0].texts[0].get_text()


def test_distributions_use_a_log_axis_for_times_only():
    frame, _ = _points_and_effects()
    figure = plots.distribution_figure(
        frame, ["avg_time_to_match_s", "completed_trips"], "a", log=True
    )
    times, trips = figure.axes[:2]
    assert times.get_yscale() == "log" and trips.get_yscale() == "linear"
    assert [t.get_text() for t in times.get_xticklabels()] == ["10", "40"]
    assert (
        "no swept dimension"
        in plots.distribution_figure(frame, "completed_trips", []).axes[0].texts[0].get_text()
    )


def test_many_long_tick_labels_are_rotated_and_thinned():
    from sweeplib.plots._base import _readable_ticks, new_figure

    axes = new_figure().add_subplot()
    labels = [f"configuration-{i}" for i in range(30)]
    _readable_ticks(axes, labels)
    shown = [t.get_text() for t in axes.get_xticklabels()]
    assert sum(bool(t) for t in shown) <= 12
    assert all(t.get_rotation() == 30 for t in axes.get_xticklabels())


def test_forest_marks_significant_differences():
    import numpy as np

    from sweeplib.analysis import contrasts

    rng = np.random.default_rng(2)
    rows = [
        {
            "seed": r,
            "replicate": r,
            "commission_rate": rate,
            "platform_revenue": 10 + 20 * rate + rng.normal(0, 0.1),
        }
        for rate in (0.1, 0.2, 0.3)
        for r in range(5)
    ]
    frame = pd.DataFrame(rows)
    frame.attrs["dimensions"] = ("commission_rate",)
    result = contrasts(frame, {"commission_rate": 0.1}, metrics="platform_revenue")
    figure = plots.forest_figure(result)
    (axes,) = figure.axes
    by_height = sorted(axes.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in by_height] == ["commission_rate=0.2", "commission_rate=0.3"]
    colors = [line.get_color() for line in axes.get_lines() if line.get_marker() == "o"]
    assert colors == ["#c62828", "#c62828"]  # both far from 0: significant, red
    assert png(figure).startswith(PNG)
    relative = plots.forest_figure(result, relative=True)
    assert relative.axes[0].get_title().startswith("Δ% ")


def test_sensitivity_bars_per_metric_and_method():
    table = pd.DataFrame(
        {
            "metric": ["m"] * 4,
            "factor": ["x", "y", "x", "y"],
            "method": ["sobol"] * 4,
            "index": ["S1", "S1", "ST", "ST"],
            "value": [0.9, 0.0, 0.95, 0.0],
            "ci_low": [0.8, -0.01, 0.9, 0.0],
            "ci_high": [1.0, 0.01, 1.0, 0.0],
        }
    )
    figure = plots.sensitivity_figure(table)
    (axes,) = figure.axes
    assert len(axes.patches) == 4 and axes.get_title() == "m — sobol"
    assert png(figure).startswith(PNG)
