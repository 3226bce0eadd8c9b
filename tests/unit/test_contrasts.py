"""Baseline-vs-treatment contrasts: paired on common random numbers, Welch otherwise,
strata, blocks, corrections — checked against scipy.stats and statsmodels directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sweeplib.analysis import CONTRAST_COLUMNS, contrasts
from sweeplib.errors import InvalidRequest


def frame(rows):
    data = pd.DataFrame(rows)
    data.attrs["dimensions"] = tuple(c for c in ("commission_rate", "num_drivers") if c in data)
    return data


def arms(effect=1.0, replicates=6, common=True, strata=(40,), noise=1.0, seed=0):
    """commission_rate 0.1 (baseline) and 0.2 (+``effect``) per num_drivers stratum; on
    common seeds the replicate's own noise is shared by both arms (what CRN buys)."""
    rng = np.random.default_rng(seed)
    rows = []
    for stratum in strata:
        shared = rng.normal(size=replicates) * noise
        for rate, shift in ((0.1, 0.0), (0.2, effect)):
            own = shared if common else rng.normal(size=replicates) * noise
            for r in range(replicates):
                rows.append(
                    {
                        "seed": 1000 + r if common else int(rng.integers(1 << 40)),
                        "replicate": r,
                        "commission_rate": rate,
                        "num_drivers": stratum,
                        "platform_revenue": 10.0
                        + stratum / 10
                        + shift
                        + own[r]
                        + 0.1 * rng.normal(),
                    }
                )
    return frame(rows)


def test_common_seeds_pair_replicates_and_match_scipys_paired_interval():
    data = arms()
    result = contrasts(data, {"commission_rate": 0.1}, metrics="platform_revenue")
    assert list(result.table.columns) == list(CONTRAST_COLUMNS)
    row = result.table.iloc[0]
    assert row["method"] == "paired" and row["treatment"] == "commission_rate=0.2"
    base = data[data.commission_rate == 0.1].sort_values("seed")["platform_revenue"]
    treat = data[data.commission_rate == 0.2].sort_values("seed")["platform_revenue"]
    expected = stats.ttest_rel(treat.to_numpy(), base.to_numpy())
    interval = expected.confidence_interval(0.95)
    assert row["low"] == pytest.approx(interval.low)
    assert row["high"] == pytest.approx(interval.high)
    assert row["p"] == pytest.approx(expected.pvalue)
    assert row["significant"]


def test_independent_seeds_use_welchs_interval():
    data = arms(common=False)
    row = contrasts(data, {"commission_rate": 0.1}, metrics="platform_revenue").table.iloc[0]
    assert row["method"] == "welch"
    base = data[data.commission_rate == 0.1]["platform_revenue"].to_numpy()
    treat = data[data.commission_rate == 0.2]["platform_revenue"].to_numpy()
    expected = stats.ttest_ind(treat, base, equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert row["low"] == pytest.approx(interval.low)
    assert row["high"] == pytest.approx(interval.high)
    assert row["p"] == pytest.approx(expected.pvalue)


def test_pairing_narrows_the_interval_when_the_noise_is_shared():
    paired = contrasts(arms(common=True), {"commission_rate": 0.1}).table.iloc[0]
    welch = contrasts(arms(common=False), {"commission_rate": 0.1}).table.iloc[0]
    assert paired["high"] - paired["low"] < 0.5 * (welch["high"] - welch["low"])


def test_strata_are_compared_within_and_averaged():
    data = arms(effect=2.0, strata=(40, 80, 120), noise=0.0)
    result = contrasts(data, {"commission_rate": 0.1}, metrics="platform_revenue")
    assert result.match_on == ("num_drivers",)
    row = result.table.iloc[0]
    assert row["strata"] == 3 and row["delta"] == pytest.approx(2.0, abs=0.2)
    assert len(result.strata) == 3
    assert result.strata["num_drivers"].tolist() == [40, 80, 120]  # natural order


def test_one_point_per_stratum_gives_the_interval_over_strata_as_blocks():
    data = arms(effect=2.0, strata=(40, 80, 120, 160), replicates=1, common=False)
    row = contrasts(data, {"commission_rate": 0.1}).table.iloc[0]
    assert row["method"] == "blocks" and row["df"] == 3
    deltas = (
        data[data.commission_rate == 0.2].set_index("num_drivers")["platform_revenue"]
        - data[data.commission_rate == 0.1].set_index("num_drivers")["platform_revenue"]
    )
    interval = stats.ttest_1samp(deltas.to_numpy(), 0.0).confidence_interval(0.95)
    assert row["low"] == pytest.approx(interval.low)
    assert row["high"] == pytest.approx(interval.high)


def test_p_values_are_corrected_across_treatments_and_metrics():
    data = arms(strata=(40,))
    data["driver_payouts"] = data["platform_revenue"] * 2 + np.arange(len(data)) % 3
    third = data[data.commission_rate == 0.2].assign(commission_rate=0.3)
    data = frame(pd.concat([data, third], ignore_index=True))
    for adjust in ("holm", "fdr_bh"):
        table = contrasts(data, {"commission_rate": 0.1}, adjust=adjust).table
        assert len(table) == 2 * 2
        _, expected, _, _ = multipletests(table["p"], alpha=0.05, method=adjust)
        np.testing.assert_allclose(table["p_adjusted"], expected)


def test_bad_baselines_name_the_field():
    data = arms()
    with pytest.raises(InvalidRequest) as error:
        contrasts(data, {"commission_rate": 0.5})
    assert error.value.field == "baseline" and "commission_rate=0.1" in error.value.reason
    with pytest.raises(InvalidRequest) as error:
        contrasts(data, {"num_riders": 100})
    assert error.value.field == "baseline"
    with pytest.raises(InvalidRequest) as error:
        contrasts(data, {"commission_rate": 0.1}, metrics="revenue")
    assert error.value.field == "metrics"
    disjoint = data.assign(num_drivers=np.where(data.commission_rate == 0.1, 40, 80))
    with pytest.raises(InvalidRequest) as error:
        contrasts(disjoint, {"commission_rate": 0.1}, match_on=["num_drivers"])
    assert error.value.field == "match_on"


def test_the_default_baseline_is_the_first_value_of_the_first_factor():
    from sweeplib.analysis import default_baseline, no_contrasts

    assert default_baseline(arms(strata=(40, 80))) == {"commission_rate": 0.1}
    one = frame([{"seed": 1, "commission_rate": 0.1, "num_drivers": 40, "platform_revenue": 1.0}])
    assert default_baseline(one) is None
    empty = no_contrasts("no dimension takes 2–12 values")
    assert empty.headline() == "No contrasts: no dimension takes 2–12 values."
    assert empty.table.empty


def test_notebook_parameters_arrive_as_json_text():
    """papermill -p passes text: a JSON baseline and a JSON list of metrics are accepted."""
    data = arms()
    result = contrasts(data, '{"commission_rate": 0.1}', metrics='["platform_revenue"]')
    assert result.baseline == "commission_rate=0.1" and result.metrics == ("platform_revenue",)
    with pytest.raises(InvalidRequest) as error:
        contrasts(data, '{"commission_rate": 0.1', metrics="platform_revenue")
    assert error.value.field == "baseline"
    with pytest.raises(InvalidRequest) as error:
        contrasts(data, {"commission_rate": 0.1}, metrics='["platform_revenue"')
    assert error.value.field == "metrics"
