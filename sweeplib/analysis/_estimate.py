"""Cost and time of a sweep before it runs, calibrated on a few points run here.

The model, in one place (every input is a parameter of :func:`estimate_from_calibration`):

* **Seconds per point** ``s``: the mean kernel time of the calibration points, run on this
  machine with :func:`sweeplib.experiments.run_point` after one unmeasured warm-up run
  (imports and grid caches; its time is the per-process start-up cost ``w``).
* **Local**: shards run one per process on ``P = min(local_workers, shards)`` processes;
  wall ≈ ``w + max(s × largest shard, s × points / P)``.
* **Lambda**: one invocation per shard (SQS batch size 1). The kernel is single-threaded
  and Lambda gives a function one full vCPU at 1,769 MB, a share of one below, so a point
  takes ``s_λ = s / min(1, memory / 1.769 GB) + o`` where ``o`` is the per-point write
  overhead (four S3 PUTs). Billed seconds ≈ ``s_λ × points + w × cold starts`` with one
  cold start per concurrent container (``min(concurrency, shards)``); wall ≈
  ``w + max(s_λ × largest shard, s_λ × points / min(concurrency, shards))``.
* **Prices** (AWS list prices, us-east-1, x86_64, free tiers ignored; see
  :data:`PRICES_AS_OF` and :data:`PRICES_SOURCE`): Lambda GB-seconds and requests, SQS
  requests (one ``SendMessageBatch`` per 10 shards, one receive and one delete per
  shard), S3 PUTs (four objects per point, one outcome record per shard, three run
  records).

It is an estimate: points differ in cost (more riders, longer runs), and the calibration
points are the first and the last of the sweep — the extremes when dimension values are
listed in increasing order.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.contracts import SweepRequest
from sweeplib.errors import InvalidRequest
from sweeplib.experiments import run_point
from sweeplib.planning import compute_shard_plan, request_point

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LAMBDA_MEMORY_GB",
    "DEFAULT_LAMBDA_TIMEOUT_S",
    "FULL_VCPU_MEMORY_GB",
    "GB_SECOND_PRICE",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "REQUEST_PRICE",
    "S3_PUT_PRICE_PER_THOUSAND",
    "S3_WRITE_SECONDS_PER_POINT",
    "SQS_PRICE_PER_MILLION",
    "WARMUP_POINT",
    "Calibration",
    "CostEstimate",
    "calibrate",
    "calibration_indices",
    "estimate_cost_and_time",
    "estimate_from_calibration",
]

#: When the default prices were read from AWS's public price pages.
PRICES_AS_OF: Final = "2025-01"
#: Where they come from (us-east-1, x86_64, on-demand list prices; free tiers ignored).
PRICES_SOURCE: Final = (
    "https://aws.amazon.com/lambda/pricing/, https://aws.amazon.com/sqs/pricing/, "
    "https://aws.amazon.com/s3/pricing/"
)
#: USD per GB-second of Lambda duration (x86_64; arm64 is 0.0000133334).
GB_SECOND_PRICE: Final = 0.0000166667
#: USD per Lambda request ($0.20 per million).
REQUEST_PRICE: Final = 0.0000002
#: USD per million SQS requests (standard queue).
SQS_PRICE_PER_MILLION: Final = 0.40
#: USD per 1,000 S3 PUT requests (S3 Standard).
S3_PUT_PRICE_PER_THOUSAND: Final = 0.005
#: The deployment's defaults (infra/terraform/variables.tf): 2,048 MB, 900 s, 40 pollers.
DEFAULT_LAMBDA_MEMORY_GB: Final = 2.0
DEFAULT_LAMBDA_TIMEOUT_S: Final = 900.0
DEFAULT_CONCURRENCY: Final = 40
#: Lambda memory at which a function gets one full vCPU.
FULL_VCPU_MEMORY_GB: Final = 1.769
#: Assumed time to write a point's four objects to S3 from Lambda (≈ 20 ms per PUT).
S3_WRITE_SECONDS_PER_POINT: Final = 0.08
#: The unmeasured warm-up run (imports, H3 grid caches) before calibration.
WARMUP_POINT: Final[Mapping[str, Any]] = {"num_riders": 2, "num_drivers": 1}

_OBJECTS_PER_POINT = 4  # effective_parameters, trip_data, snapshot_counts, shard_metrics
_RUN_OBJECTS = 3  # submission, dispatch ledger, run_context


class _Timed(Protocol):
    @property
    def wall_seconds(self) -> float: ...


PointRunner = Callable[[Mapping[str, Any], int], _Timed]


@dataclass(frozen=True)
class Calibration:
    """Kernel seconds of a few points of a sweep, measured on this machine.

    Attributes
    ----------
    point_indices : tuple of int
        The points run.
    point_seconds : tuple of float
        Their kernel wall times.
    warmup_seconds : float
        The first, unmeasured run (process start-up cost: imports, grid caches).
    """

    point_indices: tuple[int, ...]
    point_seconds: tuple[float, ...]
    warmup_seconds: float

    @property
    def seconds_per_point(self) -> float:
        """The mean of :attr:`point_seconds`."""
        return statistics.fmean(self.point_seconds)


def calibration_indices(total_points: int, count: int) -> tuple[int, ...]:
    """Which points to calibrate on: evenly spaced from the first to the last.

    >>> calibration_indices(10, 2)
    (0, 9)
    >>> calibration_indices(10, 3)
    (0, 4, 9)
    >>> calibration_indices(1, 2)
    (0,)
    """
    if count < 1:
        raise InvalidRequest("calibrate_points", f"must be >= 1, got {count}")
    if total_points < 1:
        raise InvalidRequest("dimensions", "the sweep has no points")
    if count == 1 or total_points == 1:
        return (0,)
    chosen = {round(i * (total_points - 1) / (count - 1)) for i in range(count)}
    return tuple(sorted(chosen))


def calibrate(
    request: SweepRequest, points: int = 2, *, runner: PointRunner = run_point
) -> Calibration:
    """Run a warm-up and ``points`` points of ``request`` here; time each.

    Parameters
    ----------
    request
        The sweep; points are chosen by :func:`calibration_indices` and run with their
        sweep seeds.
    points
        How many points to run (1 or 2 is usually enough).
    runner
        ``run_point``-like: ``(selected, seed) -> object with wall_seconds``.
    """
    indices = calibration_indices(request.total_points, points)
    warmup = runner(WARMUP_POINT, 0).wall_seconds
    seconds = tuple(
        runner(point.values, point.seed).wall_seconds
        for point in (request_point(request, index) for index in indices)
    )
    return Calibration(point_indices=indices, point_seconds=seconds, warmup_seconds=warmup)


@dataclass(frozen=True)
class CostEstimate:
    """The estimated time and cost of a sweep, locally and on Lambda (see the module doc).

    Times are seconds, costs USD.
    """

    total_points: int
    shard_count: int
    largest_shard_points: int
    seconds_per_point: float
    warmup_seconds: float
    local_workers: int
    local_wall_seconds: float
    lambda_memory_gb: float
    lambda_seconds_per_point: float
    lambda_invocations: int
    lambda_billed_seconds: float
    lambda_gb_seconds: float
    lambda_longest_shard_seconds: float
    lambda_wall_seconds: float
    concurrency: int
    sqs_requests: int
    s3_puts: int
    lambda_compute_usd: float
    lambda_requests_usd: float
    sqs_usd: float
    s3_usd: float
    calibration: Calibration
    warnings: tuple[str, ...] = field(default=())

    def costs(self) -> dict[str, float]:
        """The cost items in USD, by name (they add up to :attr:`total_usd`)."""
        return {
            "Lambda duration": self.lambda_compute_usd,
            "Lambda requests": self.lambda_requests_usd,
            "SQS": self.sqs_usd,
            "S3 PUTs": self.s3_usd,
        }

    @property
    def total_usd(self) -> float:
        """Lambda duration + Lambda requests + SQS + S3 PUTs."""
        return sum(self.costs().values())

    def table(self) -> pd.DataFrame:
        """The estimate as a two-column table (``quantity``, ``value``) for display."""
        c = self.calibration
        measured = ", ".join(
            f"#{i}: {s:.3f} s" for i, s in zip(c.point_indices, c.point_seconds, strict=True)
        )
        rows = [
            ("points / shards", f"{self.total_points:,} / {self.shard_count:,}"),
            ("largest shard", f"{self.largest_shard_points:,} points"),
            ("calibration (kernel s per point)", measured),
            ("seconds per point (here)", f"{self.seconds_per_point:.3f}"),
            ("process warm-up", f"{self.warmup_seconds:.2f} s"),
            (
                f"local wall time ({self.local_workers} workers)",
                _duration(self.local_wall_seconds),
            ),
            (
                f"Lambda seconds per point ({self.lambda_memory_gb:g} GB)",
                f"{self.lambda_seconds_per_point:.3f}",
            ),
            ("Lambda longest shard", _duration(self.lambda_longest_shard_seconds)),
            (
                f"Lambda wall time ({self.concurrency} concurrent)",
                _duration(self.lambda_wall_seconds),
            ),
            ("Lambda GB-seconds", f"{self.lambda_gb_seconds:,.1f}"),
            ("Lambda duration cost", _usd(self.lambda_compute_usd)),
            (f"Lambda requests ({self.lambda_invocations:,})", _usd(self.lambda_requests_usd)),
            (f"SQS requests ({self.sqs_requests:,})", _usd(self.sqs_usd)),
            (f"S3 PUTs ({self.s3_puts:,})", _usd(self.s3_usd)),
            ("total on Lambda", _usd(self.total_usd)),
        ]
        rows += [("warning", text) for text in self.warnings]
        return pd.DataFrame(rows, columns=["quantity", "value"])


def _usd(amount: float) -> str:
    """Cents for amounts of a dollar or more, four significant digits below."""
    if amount >= 1 or amount == 0:
        return f"${amount:,.2f}"
    return f"${amount:.4g}" if amount >= 1e-4 else f"${amount:.2e}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _positive(name: str, value: float) -> None:
    if not value > 0 or math.isinf(value):
        raise InvalidRequest(name, f"must be a positive number, got {value!r}")


def _not_negative(name: str, value: float) -> None:
    if not value >= 0 or math.isinf(value):
        raise InvalidRequest(name, f"must be >= 0, got {value!r}")


def estimate_from_calibration(
    shard_sizes: Sequence[int],
    calibration: Calibration,
    *,
    lambda_memory_gb: float = DEFAULT_LAMBDA_MEMORY_GB,
    gb_second_price: float = GB_SECOND_PRICE,
    request_price: float = REQUEST_PRICE,
    sqs_price_per_million: float = SQS_PRICE_PER_MILLION,
    s3_put_price_per_thousand: float = S3_PUT_PRICE_PER_THOUSAND,
    s3_write_seconds_per_point: float = S3_WRITE_SECONDS_PER_POINT,
    concurrency: int = DEFAULT_CONCURRENCY,
    local_workers: int = 1,
    lambda_timeout_s: float = DEFAULT_LAMBDA_TIMEOUT_S,
) -> CostEstimate:
    """The estimate for a plan's shard sizes and a calibration (pure arithmetic).

    Parameters
    ----------
    shard_sizes
        Points per shard (``ShardRange.size`` of the plan, in shard order).
    calibration
        From :func:`calibrate`.
    lambda_memory_gb
        The function's memory (the deployment's default is 2 GB).
    gb_second_price, request_price, sqs_price_per_million, s3_put_price_per_thousand
        Prices in USD (defaults: :data:`PRICES_AS_OF`).
    s3_write_seconds_per_point
        Lambda time to write one point's objects.
    concurrency
        Concurrent shard invocations (the event source mapping's maximum concurrency).
    local_workers
        Local processes.
    lambda_timeout_s
        The function timeout; a longer shard is reported in :attr:`CostEstimate.warnings`.

    Raises
    ------
    InvalidRequest
        An empty plan or a non-positive count, memory or price.
    """
    if not shard_sizes or min(shard_sizes) < 1:
        raise InvalidRequest("shard_sizes", "a plan has at least one shard of at least 1 point")
    for name, value in (
        ("lambda_memory_gb", lambda_memory_gb),
        ("concurrency", concurrency),
        ("local_workers", local_workers),
        ("lambda_timeout_s", lambda_timeout_s),
    ):
        _positive(name, value)
    for name, value in (
        ("gb_second_price", gb_second_price),
        ("request_price", request_price),
        ("sqs_price_per_million", sqs_price_per_million),
        ("s3_put_price_per_thousand", s3_put_price_per_thousand),
        ("s3_write_seconds_per_point", s3_write_seconds_per_point),
    ):
        _not_negative(name, value)
    points = sum(shard_sizes)
    shards = len(shard_sizes)
    largest = max(shard_sizes)
    s = calibration.seconds_per_point
    w = calibration.warmup_seconds

    parallel = min(local_workers, shards)
    local_wall = w + max(s * largest, s * points / parallel)

    cpu_share = min(1.0, lambda_memory_gb / FULL_VCPU_MEMORY_GB)
    s_lambda = s / cpu_share + s3_write_seconds_per_point
    containers = min(concurrency, shards)
    billed = s_lambda * points + w * containers
    gb_seconds = billed * lambda_memory_gb
    longest = w + s_lambda * largest
    lambda_wall = w + max(s_lambda * largest, s_lambda * points / containers)

    invocations = shards
    sqs_requests = math.ceil(shards / 10) + 2 * shards
    s3_puts = _OBJECTS_PER_POINT * points + shards + _RUN_OBJECTS

    warnings = []
    if longest > lambda_timeout_s:
        warnings.append(
            f"the largest shard ({largest} points) needs ≈ {longest:.0f} s on Lambda, over the "
            f"{lambda_timeout_s:g} s timeout: use more shards (shard_size ≤ "
            f"{max(1, int((lambda_timeout_s * 0.8 - w) / s_lambda))})"
        )
    if cpu_share < 1.0:
        warnings.append(
            f"{lambda_memory_gb:g} GB gives {cpu_share:.0%} of a vCPU: points run "
            f"{1 / cpu_share:.1f}× slower than with ≥ {FULL_VCPU_MEMORY_GB} GB"
        )
    return CostEstimate(
        total_points=points,
        shard_count=shards,
        largest_shard_points=largest,
        seconds_per_point=s,
        warmup_seconds=w,
        local_workers=local_workers,
        local_wall_seconds=local_wall,
        lambda_memory_gb=lambda_memory_gb,
        lambda_seconds_per_point=s_lambda,
        lambda_invocations=invocations,
        lambda_billed_seconds=billed,
        lambda_gb_seconds=gb_seconds,
        lambda_longest_shard_seconds=longest,
        lambda_wall_seconds=lambda_wall,
        concurrency=concurrency,
        sqs_requests=sqs_requests,
        s3_puts=s3_puts,
        lambda_compute_usd=gb_seconds * gb_second_price,
        lambda_requests_usd=invocations * request_price,
        sqs_usd=sqs_requests * sqs_price_per_million / 1e6,
        s3_usd=s3_puts * s3_put_price_per_thousand / 1e3,
        calibration=calibration,
        warnings=tuple(warnings),
    )


def estimate_cost_and_time(
    request: SweepRequest,
    *,
    calibrate_points: int = 2,
    lambda_memory_gb: float = DEFAULT_LAMBDA_MEMORY_GB,
    gb_second_price: float = GB_SECOND_PRICE,
    request_price: float = REQUEST_PRICE,
    sqs_price_per_million: float = SQS_PRICE_PER_MILLION,
    s3_put_price_per_thousand: float = S3_PUT_PRICE_PER_THOUSAND,
    s3_write_seconds_per_point: float = S3_WRITE_SECONDS_PER_POINT,
    concurrency: int = DEFAULT_CONCURRENCY,
    local_workers: int | None = None,
    lambda_timeout_s: float = DEFAULT_LAMBDA_TIMEOUT_S,
    runner: PointRunner = run_point,
) -> CostEstimate:
    """Plan ``request``, run ``calibrate_points`` of its points here, and estimate.

    See :func:`estimate_from_calibration` for the parameters and the module docstring
    for the model. ``local_workers`` defaults to this machine's CPUs.

    Raises
    ------
    InvalidRequest
        A bad parameter; :class:`~sweeplib.errors.PlanTooLarge` for a plan over a limit.
    """
    from sweeplib.local import default_workers

    plan = compute_shard_plan(request)
    calibration = calibrate(request, calibrate_points, runner=runner)
    return estimate_from_calibration(
        [shard.size for shard in plan.shards],
        calibration,
        lambda_memory_gb=lambda_memory_gb,
        gb_second_price=gb_second_price,
        request_price=request_price,
        sqs_price_per_million=sqs_price_per_million,
        s3_put_price_per_thousand=s3_put_price_per_thousand,
        s3_write_seconds_per_point=s3_write_seconds_per_point,
        concurrency=concurrency,
        local_workers=local_workers or default_workers(),
        lambda_timeout_s=lambda_timeout_s,
    )
