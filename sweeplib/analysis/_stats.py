"""Intervals for differences of means: Welch's t and the normal approximation.

Pure functions of summary statistics (mean, sample standard deviation, count) — what
the ``compare_runs`` named query returns per parameter point — so they are tested
with hand-computed answers and need neither scipy nor pandas. Student's t quantile is
computed by inverting its CDF, written with the regularized incomplete beta function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

__all__ = [
    "IntervalMethod",
    "MeanDifference",
    "mean_difference",
    "student_t_cdf",
    "student_t_quantile",
    "welch_degrees_of_freedom",
]

IntervalMethod = Literal["welch", "normal"]

_EPS = 1e-15
_TINY = 1e-300


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` > 0 degrees of freedom (``inf``: normal)."""
    if not df > 0:
        raise ValueError(f"degrees of freedom must be > 0, got {df!r}")
    if math.isinf(df):
        return NormalDist().cdf(t)
    tail = 0.5 * _regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom.

    >>> round(student_t_quantile(0.975, 1), 3)
    12.706
    >>> round(student_t_quantile(0.975, 10), 3)
    2.228

    Raises
    ------
    ValueError
        ``p`` outside (0, 1) or ``df`` ≤ 0.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be > 0, got {df!r}")
    if math.isinf(df):
        return NormalDist().inv_cdf(p)
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if student_t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


def welch_degrees_of_freedom(sd_a: float, n_a: int, sd_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom (``nan`` when both variances are 0).

    Raises
    ------
    ValueError
        ``n_a`` or ``n_b`` below 2.
    """
    if n_a < 2 or n_b < 2:
        raise ValueError(f"Welch's interval needs n >= 2 in both runs, got {n_a} and {n_b}")
    va, vb = sd_a * sd_a / n_a, sd_b * sd_b / n_b
    denominator = va * va / (n_a - 1) + vb * vb / (n_b - 1)
    if denominator == 0.0:
        return math.nan
    return (va + vb) ** 2 / denominator


@dataclass(frozen=True)
class MeanDifference:
    """``mean_b − mean_a`` with its interval.

    Attributes
    ----------
    delta : float
        ``mean_b − mean_a``.
    standard_error : float
        ``sqrt(sd_a²/n_a + sd_b²/n_b)``; ``nan`` without an interval.
    degrees_of_freedom : float
        Welch–Satterthwaite (``inf`` for the normal approximation; ``nan`` without an
        interval or when both runs have zero spread).
    low, high : float
        The interval's bounds; ``nan`` when either run has fewer than two replications
        (no spread to estimate), equal to ``delta`` when both runs have zero spread.
    """

    delta: float
    standard_error: float
    degrees_of_freedom: float
    low: float
    high: float


def mean_difference(
    mean_a: float,
    sd_a: float | None,
    n_a: int,
    mean_b: float,
    sd_b: float | None,
    n_b: int,
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "welch",
) -> MeanDifference:
    """Difference of two means (``b − a``) with a two-sided confidence interval.

    Parameters
    ----------
    mean_a, sd_a, n_a, mean_b, sd_b, n_b
        Each run's mean, sample standard deviation (``n − 1`` in the denominator) and
        number of replications. ``sd`` is ``None``/``nan`` for a single replication.
    confidence
        Two-sided coverage, in (0, 1).
    method
        ``"welch"``: Student's t with Welch–Satterthwaite degrees of freedom (use this
        for few seeds per point); ``"normal"``: the normal approximation (z quantile).

    Returns
    -------
    MeanDifference
        With ``nan`` bounds unless both ``n_a`` and ``n_b`` are at least 2.

    Raises
    ------
    ValueError
        ``confidence`` outside (0, 1) or an unknown ``method``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if method not in ("welch", "normal"):
        raise ValueError(f"method must be 'welch' or 'normal', got {method!r}")
    delta = mean_b - mean_a
    nan = math.nan
    if n_a < 2 or n_b < 2 or sd_a is None or sd_b is None or math.isnan(sd_a + sd_b):
        return MeanDifference(delta, nan, nan, nan, nan)
    standard_error = math.sqrt(sd_a * sd_a / n_a + sd_b * sd_b / n_b)
    p = 0.5 + confidence / 2.0
    if method == "normal":
        half = NormalDist().inv_cdf(p) * standard_error
        return MeanDifference(delta, standard_error, math.inf, delta - half, delta + half)
    df = welch_degrees_of_freedom(sd_a, n_a, sd_b, n_b)
    if math.isnan(df):  # both runs without spread: the difference is exact
        return MeanDifference(delta, 0.0, nan, delta, delta)
    half = student_t_quantile(p, df) * standard_error
    return MeanDifference(delta, standard_error, df, delta - half, delta + half)
