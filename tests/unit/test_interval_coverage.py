"""The interval methods themselves: on synthetic data of known mean and variance, 95 %
intervals cover the truth in 93–97 % of datasets (issue 12, item 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplib.analysis import (
    adjust_pvalues,
    mean_difference,
    mean_interval,
    paired_difference,
)

DATASETS = 2000


def coverage(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


@pytest.mark.parametrize("n", [3, 5, 20])
def test_the_t_interval_over_replicates_covers_the_true_mean(n):
    rng = np.random.default_rng(n)
    truth, sd = 3.0, 2.0
    hits = []
    for _ in range(DATASETS):
        interval = mean_interval(rng.normal(truth, sd, n))
        hits.append(interval.low <= truth <= interval.high)
    assert 0.93 <= coverage(hits) <= 0.97


def test_welchs_interval_covers_the_true_difference_with_unequal_variances():
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(DATASETS):
        a, b = rng.normal(10.0, 1.0, 4), rng.normal(12.5, 4.0, 9)
        d = mean_difference(a.mean(), a.std(ddof=1), 4, b.mean(), b.std(ddof=1), 9)
        hits.append(d.low <= 2.5 <= d.high)
    assert 0.93 <= coverage(hits) <= 0.97


def test_the_paired_interval_covers_and_is_narrower_on_common_random_numbers():
    rng = np.random.default_rng(11)
    hits, paired_width, welch_width = [], [], []
    for _ in range(DATASETS):
        shared = rng.normal(0.0, 3.0, 6)  # the common draws both configurations see
        a = 5.0 + shared + rng.normal(0.0, 0.5, 6)
        b = 6.0 + shared + rng.normal(0.0, 0.5, 6)
        paired = paired_difference(a, b)
        hits.append(paired.low <= 1.0 <= paired.high)
        paired_width.append(paired.high - paired.low)
        welch = mean_difference(a.mean(), a.std(ddof=1), 6, b.mean(), b.std(ddof=1), 6)
        welch_width.append(welch.high - welch.low)
    assert 0.93 <= coverage(hits) <= 0.97
    assert np.median(paired_width) < 0.3 * np.median(welch_width)


def test_interval_edge_cases():
    one = mean_interval([4.0])
    assert one.mean == 4.0 and math.isnan(one.low) and one.n == 1
    flat = mean_interval([2.0, 2.0, 2.0])
    assert flat.low == flat.high == 2.0
    by_hand = mean_interval([1.0, 2.0, 3.0, 4.0])  # sd 1.290994, t(0.975, 3) = 3.182446
    assert by_hand.low == pytest.approx(2.5 - 3.182446 * 1.290994 / 2, abs=1e-5)
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least one value"):
        mean_interval([])


@pytest.mark.slow
def test_holm_and_benjamini_hochberg_control_false_rejections():
    """Of 50 true nulls and 10 real effects, Holm rejects no null in ≥ 93 % of datasets;
    BH keeps the false discovery proportion ≤ 5 % on average. (statsmodels' Holm runs a
    garbage collection per call, so it gets fewer datasets.)"""
    from scipy import stats

    rng = np.random.default_rng(3)
    clean, proportions = [], []
    for dataset in range(1000):
        z = np.concatenate([rng.normal(0, 1, 50), rng.normal(4, 1, 10)])
        p = list(2 * stats.norm.sf(np.abs(z)))
        if dataset < 150:
            holm, _ = adjust_pvalues(p, method="holm")
            clean.append(not any(holm[:50]))
        bh, _ = adjust_pvalues(p, method="fdr_bh")
        proportions.append(sum(bh[:50]) / max(sum(bh), 1))
    assert coverage(clean) >= 0.93
    assert np.mean(proportions) <= 0.05
    reject, adjusted = adjust_pvalues([0.01, math.nan, 0.06], method="holm")
    assert reject == [True, False, False] and adjusted[0] == pytest.approx(0.02)
    assert math.isnan(adjusted[1])
