"""Intervals for means and differences of means, and multiple-comparison corrections.

Quantiles come from ``scipy.stats`` and the corrections from ``statsmodels``; nothing is
re-derived here. :func:`mean_difference` works on summary statistics (mean, sample SD,
count) — what the ``compare_runs`` named query returns per parameter point;
:func:`mean_interval` and :func:`paired_difference` work on the replicate values
themselves (paired: runs on common random numbers, replicate r against replicate r).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

__all__ = [
    "AdjustMethod",
    "IntervalMethod",
    "MeanDifference",
    "MeanInterval",
    "adjust_pvalues",
    "mean_difference",
    "mean_interval",
    "paired_difference",
    "welch_degrees_of_freedom",
]

IntervalMethod = Literal["welch", "normal"]


#: ``"holm"`` (family-wise error) or ``"fdr_bh"`` (Benjamini–Hochberg false discovery rate).
AdjustMethod = Literal["holm", "fdr_bh"]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def _t_quantile(p: float, df: float) -> float:
    return float(stats.norm.ppf(p) if math.isinf(df) else stats.t.ppf(p, df))


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
    _check_confidence(confidence)
    if method not in ("welch", "normal"):
        raise ValueError(f"method must be 'welch' or 'normal', got {method!r}")
    delta = mean_b - mean_a
    nan = math.nan
    if n_a < 2 or n_b < 2 or sd_a is None or sd_b is None or math.isnan(sd_a + sd_b):
        return MeanDifference(delta, nan, nan, nan, nan)
    standard_error = math.sqrt(sd_a * sd_a / n_a + sd_b * sd_b / n_b)
    p = 0.5 + confidence / 2.0
    if method == "normal":
        half = _t_quantile(p, math.inf) * standard_error
        return MeanDifference(delta, standard_error, math.inf, delta - half, delta + half)
    df = welch_degrees_of_freedom(sd_a, n_a, sd_b, n_b)
    if math.isnan(df):  # both runs without spread: the difference is exact
        return MeanDifference(delta, 0.0, nan, delta, delta)
    half = _t_quantile(p, df) * standard_error
    return MeanDifference(delta, standard_error, df, delta - half, delta + half)


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its two-sided t interval (``nan`` bounds for fewer than two values;
    equal to the mean when every value is the same)."""

    mean: float
    sd: float
    n: int
    low: float
    high: float


def mean_interval(values: Sequence[float], *, confidence: float = 0.95) -> MeanInterval:
    """The mean of ``values`` (replicates of one design point) with Student's t interval.

    Raises
    ------
    ValueError
        No values, or ``confidence`` outside (0, 1).
    """
    _check_confidence(confidence)
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("mean_interval needs at least one value")
    mean = float(data.mean())
    if data.size < 2:
        return MeanInterval(mean, math.nan, 1, math.nan, math.nan)
    sd = float(data.std(ddof=1))
    half = _t_quantile(0.5 + confidence / 2.0, data.size - 1) * sd / math.sqrt(data.size)
    return MeanInterval(mean, sd, int(data.size), mean - half, mean + half)


def paired_difference(
    a: Sequence[float], b: Sequence[float], *, confidence: float = 0.95
) -> MeanDifference:
    """``b − a`` over pairs (replicate r of a with replicate r of b, e.g. runs on common
    random numbers): the mean difference with the t interval of the differences.

    Raises
    ------
    ValueError
        ``a`` and ``b`` of different lengths, or ``confidence`` outside (0, 1).
    """
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    differences = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    interval = mean_interval(differences, confidence=confidence)
    if interval.n < 2:
        return MeanDifference(interval.mean, math.nan, math.nan, math.nan, math.nan)
    standard_error = interval.sd / math.sqrt(interval.n)
    return MeanDifference(
        interval.mean, standard_error, float(interval.n - 1), interval.low, interval.high
    )


def adjust_pvalues(
    pvalues: Sequence[float], *, method: AdjustMethod = "holm", alpha: float = 0.05
) -> tuple[list[bool], list[float]]:
    """Which hypotheses to reject and the adjusted p-values, by Holm's step-down method
    (family-wise error ≤ ``alpha``) or Benjamini–Hochberg (false discovery rate ≤ ``alpha``):
    ``statsmodels.stats.multitest.multipletests``. ``nan`` p-values are left out and stay
    ``nan`` (never rejected).

    Raises
    ------
    ValueError
        An unknown ``method``.
    """
    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"method must be 'holm' or 'fdr_bh', got {method!r}")
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(pvalues, dtype=float)
    known = ~np.isnan(values)
    reject = np.zeros(values.shape, dtype=bool)
    adjusted = np.full(values.shape, math.nan)
    if known.any():
        flags, corrected, _, _ = multipletests(values[known], alpha=alpha, method=method)
        reject[known], adjusted[known] = flags, corrected
    return [bool(x) for x in reject], [float(x) for x in adjusted]
