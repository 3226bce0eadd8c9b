"""The analysis workbench: what the notebooks and ``sweep report`` call.

Needs the ``notebooks`` extra (pandas); nothing the Lambda imports imports this package.

Design a sweep
    :func:`build_request`, :func:`plan_preview`, :func:`dimension_table`,
    :func:`estimate_cost_and_time` (calibrated by running a few points here),
    :func:`execute_sweep` (:func:`run_locally` or :func:`submit_and_watch`),
    :func:`status_table`.
Report on a run
    :func:`open_engine` (``"local"``: DuckDB over a folder, ``"athena"``), then
    :func:`run_report` → :class:`RunReport` of DataFrames from the named queries;
    :func:`points_frame`: the run's tidy points table (unrounded, typed dimensions).
Statistics of a run
    :func:`run_points`: the run's points, tidy (every metric unrounded, times in
    seconds), on either engine; :func:`design_point_summary` (mean, SD and t interval
    over replicates); :func:`effects` → :class:`Effects`: main effects and two-way
    interactions as estimated marginal means with intervals, and an ANOVA table
    (statsmodels), with a note when the design is unbalanced.
Compare configurations
    :func:`contrasts` (within a run: every other level against a baseline) and
    :func:`compare_configurations` (run ``b`` against baseline run ``a``, where they
    differ in dimension values) → :class:`Contrasts`: paired intervals on common random
    numbers, Welch's otherwise, Holm or Benjamini–Hochberg corrected.
    :func:`compare_runs` → :class:`RunComparison`: deltas per parameter point present
    in both runs (identical dimension values).
Sensitivity
    :func:`sensitivity_indices` (SALib: Sobol, Morris, delta) and
    :func:`sensitivity_report` over a run's sampled design.

Notebook inputs
    :func:`resolve_data_dir`: a relative ``data_dir`` is resolved against the project
    root (:func:`project_root`), not the working directory; :func:`json_object` /
    :func:`json_list`: dict and list parameters given as JSON text (``papermill -p``).

Plots of these frames are in :mod:`sweeplib.plots`.
"""

from __future__ import annotations

from sweeplib.analysis._compare import RunComparison, add_intervals, compare_runs, compared_metrics
from sweeplib.analysis._contrasts import (
    CONTRAST_COLUMNS,
    Contrasts,
    compare_configurations,
    contrasts,
    default_baseline,
    no_contrasts,
)
from sweeplib.analysis._design import (
    Execution,
    SubmitClient,
    build_request,
    dimension_table,
    execute_sweep,
    plan_preview,
    run_locally,
    status_table,
    submit_and_watch,
)
from sweeplib.analysis._effects import (
    MAX_FACTOR_LEVELS,
    Effects,
    design_point_summary,
    effects,
    factor_dimensions,
)
from sweeplib.analysis._engines import (
    ATHENA_ENGINE,
    BACKENDS,
    DEFAULT_WORKGROUP,
    Backend,
    committed_point_indexes,
    named_frame,
    open_engine,
    point_frame,
    points_frame,
)
from sweeplib.analysis._estimate import (
    DEFAULT_CONCURRENCY,
    DEFAULT_LAMBDA_MEMORY_GB,
    DEFAULT_LAMBDA_TIMEOUT_S,
    FULL_VCPU_MEMORY_GB,
    GB_SECOND_PRICE,
    PRICES_AS_OF,
    PRICES_SOURCE,
    REQUEST_PRICE,
    S3_PUT_PRICE_PER_THOUSAND,
    S3_WRITE_SECONDS_PER_POINT,
    SQS_PRICE_PER_MILLION,
    Calibration,
    CostEstimate,
    calibrate,
    calibration_indices,
    estimate_cost_and_time,
    estimate_from_calibration,
)
from sweeplib.analysis._frames import (
    DIMENSIONS_COLUMN,
    dimension_columns,
    expand_dimensions,
    swept_dimensions,
)
from sweeplib.analysis._inputs import (
    PROJECT_DIR_ENV,
    json_list,
    json_object,
    project_root,
    resolve_data_dir,
)
from sweeplib.analysis._points import (
    POINT_METRICS,
    dimensions_of,
    metric_column,
    run_points,
    tidy_points,
)
from sweeplib.analysis._report import (
    DEFAULT_METRICS,
    METRIC_NAMES,
    RunReport,
    merge_timeseries,
    merge_wait_histograms,
    metrics_by_dimension,
    run_report,
    wait_time_summary,
)
from sweeplib.analysis._sensitivity import (
    SAMPLED_KINDS,
    SENSITIVITY_COLUMNS,
    Sensitivity,
    run_design,
    sensitivity_indices,
    sensitivity_report,
)
from sweeplib.analysis._stats import (
    AdjustMethod,
    IntervalMethod,
    MeanDifference,
    MeanInterval,
    adjust_pvalues,
    mean_difference,
    mean_interval,
    paired_difference,
    welch_degrees_of_freedom,
)

__all__ = [
    "ATHENA_ENGINE",
    "BACKENDS",
    "CONTRAST_COLUMNS",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LAMBDA_MEMORY_GB",
    "DEFAULT_LAMBDA_TIMEOUT_S",
    "DEFAULT_METRICS",
    "DEFAULT_WORKGROUP",
    "DIMENSIONS_COLUMN",
    "FULL_VCPU_MEMORY_GB",
    "GB_SECOND_PRICE",
    "MAX_FACTOR_LEVELS",
    "METRIC_NAMES",
    "POINT_METRICS",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "PROJECT_DIR_ENV",
    "REQUEST_PRICE",
    "S3_PUT_PRICE_PER_THOUSAND",
    "S3_WRITE_SECONDS_PER_POINT",
    "SAMPLED_KINDS",
    "SENSITIVITY_COLUMNS",
    "SQS_PRICE_PER_MILLION",
    "AdjustMethod",
    "Backend",
    "Calibration",
    "Contrasts",
    "CostEstimate",
    "Effects",
    "Execution",
    "IntervalMethod",
    "MeanDifference",
    "MeanInterval",
    "RunComparison",
    "RunReport",
    "Sensitivity",
    "SubmitClient",
    "add_intervals",
    "adjust_pvalues",
    "build_request",
    "calibrate",
    "calibration_indices",
    "committed_point_indexes",
    "compare_configurations",
    "compare_runs",
    "compared_metrics",
    "contrasts",
    "default_baseline",
    "design_point_summary",
    "dimension_columns",
    "dimension_table",
    "dimensions_of",
    "effects",
    "estimate_cost_and_time",
    "estimate_from_calibration",
    "execute_sweep",
    "expand_dimensions",
    "factor_dimensions",
    "json_list",
    "json_object",
    "mean_difference",
    "mean_interval",
    "merge_timeseries",
    "merge_wait_histograms",
    "metric_column",
    "metrics_by_dimension",
    "named_frame",
    "no_contrasts",
    "open_engine",
    "paired_difference",
    "plan_preview",
    "point_frame",
    "points_frame",
    "project_root",
    "resolve_data_dir",
    "run_design",
    "run_locally",
    "run_points",
    "run_report",
    "sensitivity_indices",
    "sensitivity_report",
    "status_table",
    "submit_and_watch",
    "swept_dimensions",
    "tidy_points",
    "wait_time_summary",
    "welch_degrees_of_freedom",
]
