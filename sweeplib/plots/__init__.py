"""Figures of the analysis tables (:mod:`sweeplib.analysis`), with matplotlib.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``: it
is drawn by the non-interactive Agg canvas (``fig.savefig(...)`` works anywhere, no
window ever opens, nothing accumulates in pyplot's global figure list). In a notebook,
``display(fig)`` or a figure as the cell's last value shows it once ``%matplotlib
inline`` is active (the notebooks' first cell).

Needs the ``notebooks`` extra (matplotlib, pandas).
"""

from sweeplib.plots._base import MAX_PANELS, new_figure
from sweeplib.plots._run import (
    STATE_COLORS,
    comparison_figure,
    coverage_figure,
    design_figure,
    estimate_figure,
    metrics_by_dimension_figure,
    report_figures,
    timeseries_figure,
    wait_time_figure,
)
from sweeplib.plots._statistics import (
    distribution_figure,
    effects_figure,
    forest_figure,
    heatmap_figure,
    interaction_figure,
    interactions_figure,
    scatter_figure,
    sensitivity_figure,
)

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
