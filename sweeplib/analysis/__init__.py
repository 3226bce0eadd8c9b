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
Compare two runs
    :func:`compare_runs` → :class:`RunComparison`: deltas per matching parameter point,
    with Welch (or normal-approximation) intervals where both runs replicate the point.

Notebook inputs
    :func:`resolve_data_dir`: a relative ``data_dir`` is resolved against the project
    root (:func:`project_root`), not the working directory; :func:`json_object` /
    :func:`json_list`: dict and list parameters given as JSON text (``papermill -p``).

Plots of these frames are in :mod:`sweeplib.plots`.
"""

from __future__ import annotations

from sweeplib.analysis._compare import RunComparison, add_intervals, compare_runs, compared_metrics
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
from sweeplib.analysis._sensitivity import SENSITIVITY_COLUMNS, sensitivity_indices
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
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LAMBDA_MEMORY_GB",
    "DEFAULT_LAMBDA_TIMEOUT_S",
    "DEFAULT_METRICS",
    "DEFAULT_WORKGROUP",
    "DIMENSIONS_COLUMN",
    "FULL_VCPU_MEMORY_GB",
    "GB_SECOND_PRICE",
    "METRIC_NAMES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "PROJECT_DIR_ENV",
    "REQUEST_PRICE",
    "S3_PUT_PRICE_PER_THOUSAND",
    "S3_WRITE_SECONDS_PER_POINT",
    "SENSITIVITY_COLUMNS",
    "SQS_PRICE_PER_MILLION",
    "AdjustMethod",
    "Backend",
    "Calibration",
    "CostEstimate",
    "Execution",
    "IntervalMethod",
    "MeanDifference",
    "MeanInterval",
    "RunComparison",
    "RunReport",
    "SubmitClient",
    "add_intervals",
    "adjust_pvalues",
    "build_request",
    "calibrate",
    "calibration_indices",
    "committed_point_indexes",
    "compare_runs",
    "compared_metrics",
    "dimension_columns",
    "dimension_table",
    "estimate_cost_and_time",
    "estimate_from_calibration",
    "execute_sweep",
    "expand_dimensions",
    "json_list",
    "json_object",
    "mean_difference",
    "mean_interval",
    "merge_timeseries",
    "merge_wait_histograms",
    "metrics_by_dimension",
    "named_frame",
    "open_engine",
    "paired_difference",
    "plan_preview",
    "point_frame",
    "points_frame",
    "project_root",
    "resolve_data_dir",
    "run_locally",
    "run_report",
    "sensitivity_indices",
    "status_table",
    "submit_and_watch",
    "swept_dimensions",
    "wait_time_summary",
    "welch_degrees_of_freedom",
]
