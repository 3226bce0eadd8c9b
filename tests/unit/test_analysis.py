"""sweeplib.analysis without a query engine: intervals, estimates, frames — hand-computed."""

from __future__ import annotations

import json
import math
import sys
import types
from dataclasses import dataclass

import pandas as pd
import pytest

from sweeplib import analysis
from sweeplib.analysis import (
    Calibration,
    add_intervals,
    build_request,
    calibrate,
    calibration_indices,
    compared_metrics,
    dimension_columns,
    estimate_cost_and_time,
    estimate_from_calibration,
    expand_dimensions,
    mean_difference,
    merge_timeseries,
    merge_wait_histograms,
    swept_dimensions,
    wait_time_summary,
    welch_degrees_of_freedom,
)
from sweeplib.errors import InvalidRequest, PlanTooLarge, QueryError


def test_exports_are_curated_and_resolve():
    names = analysis.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(analysis, name) is not None


# -- Student's t and Welch -------------------------------------------------------------


def test_welch_interval_by_hand():
    # a: mean 10, sd 2, n 5; b: mean 13, sd 2, n 5 → var/n = 0.8 each, se = sqrt(1.6),
    # df = 1.6² / (0.8²/4 + 0.8²/4) = 2.56 / 0.32 = 8, t(0.975, 8) = 2.306004.
    result = mean_difference(10.0, 2.0, 5, 13.0, 2.0, 5)
    assert result.delta == 3.0
    assert result.standard_error == pytest.approx(math.sqrt(1.6))
    assert result.degrees_of_freedom == pytest.approx(8.0)
    half = 2.306004 * math.sqrt(1.6)  # 2.916891
    assert result.low == pytest.approx(3.0 - half, abs=1e-5)
    assert result.high == pytest.approx(3.0 + half, abs=1e-5)


def test_welch_degrees_of_freedom_unequal_by_hand():
    # var/n: 4/4 = 1 and 9/9 = 1 → df = 4 / (1/3 + 1/8) = 96/11
    assert welch_degrees_of_freedom(2.0, 4, 3.0, 9) == pytest.approx(96 / 11)
    with pytest.raises(ValueError, match="n >= 2"):
        welch_degrees_of_freedom(1.0, 1, 1.0, 5)


def test_normal_interval_by_hand():
    result = mean_difference(1.0, 0.3, 9, 1.5, 0.4, 16, method="normal", confidence=0.9)
    se = math.sqrt(0.09 / 9 + 0.16 / 16)  # sqrt(0.02)
    assert result.standard_error == pytest.approx(se)
    assert result.degrees_of_freedom == math.inf
    assert result.high - result.delta == pytest.approx(1.644854 * se, abs=1e-6)


def test_no_interval_without_two_replications_and_exact_without_spread():
    single = mean_difference(1.0, None, 1, 2.0, 0.5, 3)
    assert single.delta == 1.0 and math.isnan(single.low) and math.isnan(single.high)
    nan_sd = mean_difference(1.0, math.nan, 2, 2.0, 0.5, 3)
    assert math.isnan(nan_sd.low)
    exact = mean_difference(1.0, 0.0, 3, 2.5, 0.0, 3)
    assert (exact.low, exact.high, exact.standard_error) == (1.5, 1.5, 0.0)
    with pytest.raises(ValueError, match="confidence"):
        mean_difference(1.0, 1.0, 2, 1.0, 1.0, 2, confidence=1.0)
    with pytest.raises(ValueError, match="method"):
        mean_difference(1.0, 1.0, 2, 1.0, 1.0, 2, method="bootstrap")  # type: ignore[arg-type]


def comparison_frame():
    return pd.DataFrame(
        {
            "selected_dimensions": ['{"num_drivers":10}', '{"num_drivers":20}'],
            "n_a": [5, 1],
            "n_b": [5, 2],
            "conversion_rate_a": [10.0, 0.3],
            "conversion_rate_b": [13.0, 0.5],
            "conversion_rate_delta": [3.0, 0.2],
            "conversion_rate_sd_a": [2.0, None],
            "conversion_rate_sd_b": [2.0, 0.1],
            "completed_trips_delta": [1.0, -2.0],
        }
    )


def test_compared_metrics_and_intervals_on_a_frame():
    frame = comparison_frame()
    assert compared_metrics(frame) == (["conversion_rate", "completed_trips"], ["conversion_rate"])
    with_intervals = add_intervals(frame, ["conversion_rate"])
    columns = list(with_intervals.columns)
    position = columns.index("conversion_rate_delta")
    assert columns[position + 1 : position + 3] == ["conversion_rate_low", "conversion_rate_high"]
    first, second = with_intervals.to_dict("records")
    assert first["conversion_rate_low"] == pytest.approx(3.0 - 2.916891, abs=1e-5)
    assert first["conversion_rate_df"] == pytest.approx(8.0)
    assert math.isnan(second["conversion_rate_low"]) and math.isnan(second["conversion_rate_df"])
    assert "conversion_rate_low" not in frame.columns  # the input is left alone


# -- the cost and time estimate --------------------------------------------------------


def test_calibration_indices():
    assert calibration_indices(10, 1) == (0,)
    assert calibration_indices(10, 2) == (0, 9)
    assert calibration_indices(10, 3) == (0, 4, 9)  # round(4.5) = 4, banker's rounding
    assert calibration_indices(3, 5) == (0, 1, 2)
    assert calibration_indices(1, 2) == (0,)
    with pytest.raises(InvalidRequest, match="calibrate_points"):
        calibration_indices(10, 0)


CALIBRATION = Calibration(point_indices=(0, 7), point_seconds=(0.5, 1.5), warmup_seconds=2.0)
# Simple prices so the costs are hand-checkable.
PRICES = {
    "gb_second_price": 0.01,
    "request_price": 0.1,
    "sqs_price_per_million": 1e6,  # $1 per SQS request
    "s3_put_price_per_thousand": 1e3,  # $1 per PUT
}


def test_estimate_by_hand():
    estimate = estimate_from_calibration(
        [3, 3, 2], CALIBRATION, lambda_memory_gb=2.0, concurrency=2, local_workers=2, **PRICES
    )
    # s = 1.0 s per point, warm-up w = 2 s, 8 points in 3 shards (largest 3)
    assert estimate.seconds_per_point == 1.0
    assert estimate.local_wall_seconds == pytest.approx(2.0 + max(3 * 1.0, 8 * 1.0 / 2))  # 6
    # 2 GB ≥ 1.769 GB: a full vCPU; + 0.08 s of S3 writes per point
    assert estimate.lambda_seconds_per_point == pytest.approx(1.08)
    assert estimate.lambda_billed_seconds == pytest.approx(1.08 * 8 + 2.0 * 2)  # 12.64
    assert estimate.lambda_gb_seconds == pytest.approx(25.28)
    assert estimate.lambda_longest_shard_seconds == pytest.approx(2.0 + 1.08 * 3)  # 5.24
    assert estimate.lambda_wall_seconds == pytest.approx(2.0 + 8 * 1.08 / 2)  # 6.32
    assert estimate.lambda_invocations == 3
    assert estimate.sqs_requests == 1 + 2 * 3  # one batch send, a receive + delete per shard
    assert estimate.s3_puts == 4 * 8 + 3 + 3
    assert estimate.costs() == pytest.approx(
        {"Lambda duration": 0.2528, "Lambda requests": 0.3, "SQS": 7.0, "S3 PUTs": 38.0}
    )
    assert estimate.total_usd == pytest.approx(45.5528)
    assert estimate.warnings == ()
    table = estimate.table()
    assert list(table.columns) == ["quantity", "value"]
    values = dict(table.values.tolist())
    assert values["total on Lambda"] == "$45.55"
    assert values["Lambda duration cost"] == "$0.2528"


def test_estimate_with_default_prices():
    estimate = estimate_from_calibration([1], Calibration((0,), (1.0,), 0.0), local_workers=1)
    # 2 GB × (1 s + 0.08 s) at $0.0000166667 per GB-s
    assert estimate.lambda_compute_usd == pytest.approx(2.0 * 1.08 * 0.0000166667)
    assert estimate.lambda_requests_usd == pytest.approx(0.0000002)
    assert estimate.sqs_usd == pytest.approx(3 * 0.40 / 1e6)
    assert estimate.s3_usd == pytest.approx((4 + 1 + 3) * 0.005 / 1000)


def test_estimate_warns_about_timeout_and_cpu_share():
    estimate = estimate_from_calibration(
        [3, 3, 2], CALIBRATION, lambda_memory_gb=2.0, lambda_timeout_s=5.0, **PRICES
    )
    (warning,) = estimate.warnings
    # longest shard 5.24 s > 5 s; suggested size int((0.8 × 5 − 2) / 1.08) = 1
    assert "5 s timeout" in warning and "shard_size ≤ 1" in warning
    half = estimate_from_calibration([2], CALIBRATION, lambda_memory_gb=0.8845, **PRICES)
    assert half.lambda_seconds_per_point == pytest.approx(1.0 / 0.5 + 0.08)
    assert any("50% of a vCPU" in w for w in half.warnings)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lambda_memory_gb": 0}, "lambda_memory_gb"),
        ({"concurrency": 0}, "concurrency"),
        ({"local_workers": -1}, "local_workers"),
        ({"gb_second_price": -1.0}, "gb_second_price"),
        ({"sqs_price_per_million": math.inf}, "sqs_price_per_million"),
    ],
)
def test_estimate_rejects_bad_inputs(change, field):
    with pytest.raises(InvalidRequest) as error:
        estimate_from_calibration([1], CALIBRATION, **change)
    assert error.value.field == field
    with pytest.raises(InvalidRequest, match="at least one shard"):
        estimate_from_calibration([], CALIBRATION)


@dataclass
class FakeRun:
    wall_seconds: float


def test_calibrate_runs_a_warmup_then_the_chosen_points_with_their_seeds():
    request = build_request(
        "cal", {"num_drivers": [10, 20], "num_riders": [100, 200, 300]}, seed=42, shard_size=2
    )
    calls = []

    def runner(selected, seed):
        calls.append((dict(selected), seed))
        return FakeRun(wall_seconds=[0.7, 0.2, 0.4][len(calls) - 1])

    calibration = calibrate(request, 2, runner=runner)
    assert calls == [
        ({"num_riders": 2, "num_drivers": 1}, 0),  # warm-up
        ({"num_drivers": 10, "num_riders": 100}, 42),  # point 0: seed 42 XOR 0
        ({"num_drivers": 20, "num_riders": 300}, 42 ^ 5),  # point 5, the last
    ]
    assert calibration == Calibration((0, 5), (0.2, 0.4), 0.7)
    assert calibration.seconds_per_point == pytest.approx(0.3)


def test_estimate_cost_and_time_plans_and_calibrates():
    request = build_request("est", {"num_riders": [1, 2, 3, 4, 5]}, shard_count=2)
    estimate = estimate_cost_and_time(
        request, calibrate_points=1, local_workers=1, runner=lambda s, seed: FakeRun(1.0)
    )
    assert (estimate.total_points, estimate.shard_count, estimate.largest_shard_points) == (5, 2, 3)
    assert estimate.local_wall_seconds == pytest.approx(1.0 + 5.0)
    with pytest.raises(PlanTooLarge):
        estimate_cost_and_time(
            build_request("big", {"num_riders": list(range(20))}, shard_size=1, max_shards=5),
            runner=lambda s, seed: FakeRun(1.0),
        )


# -- frames ----------------------------------------------------------------------------


def test_expand_dimensions_keeps_json_types_and_position():
    frame = pd.DataFrame(
        {
            "point_index": [0, 1],
            "selected_dimensions": [
                json.dumps({"epoch_ms": None, "num_riders": 5, "surge_enabled": True}),
                json.dumps({"epoch_ms": 3600000, "num_riders": 7, "surge_enabled": False}),
            ],
            "conversion_rate": [0.1, 0.2],
        }
    )
    expanded = expand_dimensions(frame)
    assert list(expanded.columns) == [
        "point_index",
        "epoch_ms",
        "num_riders",
        "surge_enabled",
        "conversion_rate",
        "selected_dimensions",
    ]
    assert expanded["num_riders"].tolist() == [5, 7]
    assert str(expanded["num_riders"].dtype) == "int64"
    assert expanded["surge_enabled"].tolist() == [True, False]
    assert pd.isna(expanded["epoch_ms"].iloc[0]) and expanded["epoch_ms"].iloc[1] == 3600000
    assert dimension_columns(expanded) == ["epoch_ms", "num_riders", "surge_enabled"]
    assert dimension_columns(expanded.iloc[[1]]) == ["epoch_ms", "num_riders", "surge_enabled"]


def test_expand_dimensions_prefixes_a_clashing_name_and_rejects_non_json():
    frame = pd.DataFrame({"num_riders": [99], "selected_dimensions": ['{"num_riders":5}']})
    expanded = expand_dimensions(frame)
    assert expanded["dim_num_riders"].tolist() == [5] and expanded["num_riders"].tolist() == [99]
    assert dimension_columns(expanded) == ["dim_num_riders"]
    with pytest.raises(QueryError, match="not JSON"):
        expand_dimensions(pd.DataFrame({"selected_dimensions": ["{nope"]}))
    with pytest.raises(QueryError, match="JSON object"):
        expand_dimensions(pd.DataFrame({"selected_dimensions": ["[1]"]}))
    with pytest.raises(QueryError, match="no 'selected_dimensions'"):
        expand_dimensions(pd.DataFrame({"x": [1]}))


def test_swept_dimensions_are_those_with_several_values():
    frame = expand_dimensions(
        pd.DataFrame(
            {
                "selected_dimensions": [
                    '{"a":1,"b":true,"c":null}',
                    '{"a":1,"b":false,"c":null}',
                    '{"a":1,"b":true,"c":2}',
                ]
            }
        )
    )
    assert swept_dimensions(frame) == ["b", "c"]
    assert swept_dimensions(frame.iloc[[0]]) == []


def test_merge_timeseries_weights_by_points():
    part_1 = pd.DataFrame({"time_s": [0, 60], "points": [2, 1], "riders_waiting": [4.0, 3.0]})
    part_2 = pd.DataFrame({"time_s": [0], "points": [1], "riders_waiting": [1.0]})
    merged = merge_timeseries([part_1, part_2])
    assert merged.to_dict("list") == {
        "time_s": [0, 60],
        "points": [3, 1],
        "riders_waiting": [pytest.approx((4.0 * 2 + 1.0) / 3), 3.0],
    }


def test_merge_wait_histograms_adds_trips_and_recomputes_shares():
    def part(rows):
        return pd.DataFrame(
            rows, columns=["wait", "bucket_start_s", "bucket_end_s", "trips", "share"]
        )

    merged = merge_wait_histograms(
        [
            part([("time_to_match", 0, 30, 3, 0.75), ("time_to_match", 30, 60, 1, 0.25)]),
            part([("time_to_match", 0, 30, 1, 1.0), ("time_to_pickup", 60, 90, 2, 1.0)]),
        ]
    )
    assert merged.values.tolist() == [
        ["time_to_match", 0, 30, 4, 0.8],
        ["time_to_match", 30, 60, 1, 0.2],
        ["time_to_pickup", 60, 90, 2, 1.0],
    ]


def test_wait_time_summary_at_bucket_resolution():
    histogram = pd.DataFrame(
        {
            "wait": ["time_to_match"] * 4,
            "bucket_start_s": [0, 30, 60, 90],
            "bucket_end_s": [30, 60, 90, 120],
            "trips": [4, 2, 3, 1],
        }
    )
    # cumulative shares 0.4, 0.6, 0.9, 1.0: the median is reached in [30, 60), p90 in [60, 90)
    assert wait_time_summary(histogram).to_dict("records") == [
        {"wait": "time_to_match", "trips": 10, "median_s_at_most": 60.0, "p90_s_at_most": 90.0}
    ]
    assert wait_time_summary(histogram.iloc[:0]).empty


# -- the sweep design ------------------------------------------------------------------


def test_build_request_validates_like_the_api():
    request = build_request("d-1", {"num_riders": [100, 200]}, seed=7, shard_count=2)
    assert (request.run_id, request.seed, request.shard_count, request.shard_size) == (
        "d-1",
        7,
        2,
        None,
    )
    with pytest.raises(InvalidRequest) as error:
        build_request("d-1", {"num_riders": ["100"]}, shard_count=1)
    assert error.value.field.startswith("dimensions.num_riders")
    with pytest.raises(InvalidRequest):
        build_request("d-1", {"num_riders": [1]})  # neither shard_count nor shard_size


def test_plan_preview_and_dimension_table():
    request = build_request(
        "d-2",
        {"num_riders": [100, 100, 200], "match_radius": [3]},
        seed=5,
        shard_size=2,
        failure_injection_shards=[1],
    )
    preview = dict(analysis.plan_preview(request).values.tolist())
    assert preview["points"] == "3"
    assert preview["shards"] == "2 (derived_from_shard_size)"
    assert preview["points per shard"] == "1 or 2"
    assert preview["dimensions"] == "match_radius (1) × num_riders (3)"
    assert preview["failure_injection_shards"] == "1"
    assert len(preview["config_fingerprint"]) == 64
    table = analysis.dimension_table(request)
    assert table.to_dict("records") == [
        {"dimension": "match_radius", "values": 1, "replications": 0, "list": "3"},
        {"dimension": "num_riders", "values": 3, "replications": 1, "list": "100, 100, 200"},
    ]


def test_execute_false_runs_nothing_and_unknown_backend_is_refused(tmp_path):
    request = build_request("d-3", {"num_riders": [1]}, shard_count=1)
    execution = analysis.execute_sweep(request, execute=False, data_dir=tmp_path)
    assert execution.status is None and "was not run" in execution.message
    assert execution.status_frame().empty
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidRequest, match="'local' or 'lambda'"):
        analysis.execute_sweep(request, backend="cloud", execute=False)
    with pytest.raises(InvalidRequest, match="api_url"):
        analysis.execute_sweep(request, backend="lambda", api_url=None)


# -- engines ---------------------------------------------------------------------------


def test_open_engine_local_needs_an_existing_folder(tmp_path):
    engine = analysis.open_engine("local", data_dir=tmp_path)
    assert engine.execute("SELECT 1 AS one").to_pylist() == [{"one": 1}]
    with pytest.raises(InvalidRequest, match="is not a folder"):
        analysis.open_engine("local", data_dir=tmp_path / "missing")
    with pytest.raises(InvalidRequest, match="known: local, athena"):
        analysis.open_engine("bigquery")


def test_open_engine_athena_is_imported_only_for_athena(monkeypatch):
    made = []

    class FakeAthenaEngine:
        def __init__(self, **options):
            made.append(options)

    fake = types.ModuleType("sweeplib.query.athena_engine")
    fake.AthenaQueryEngine = FakeAthenaEngine  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sweeplib.query.athena_engine", fake)
    session = object()
    engine = analysis.open_engine(
        "athena",
        database="db",
        workgroup="wg",
        output_location="s3://results/",
        boto3_session=session,
    )
    assert isinstance(engine, FakeAthenaEngine)
    assert made == [
        {
            "database": "db",
            "workgroup": "wg",
            "output_location": "s3://results/",
            "boto3_session": session,
        }
    ]
