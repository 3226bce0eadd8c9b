"""Main effects and interactions (statsmodels OLS, estimated marginal means) on data whose
answer is known: balanced, unbalanced, unreplicated, and the intervals' coverage."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sweeplib.analysis import design_point_summary, effects, mean_interval
from sweeplib.errors import InvalidRequest

A_EFFECT = {10: 0.0, 20: 1.0, 40: 3.0}  # a numeric dimension with three values
B_EFFECT = {"fifo": 0.0, "hungarian": 0.0}  # a choice that changes nothing


def points(replicates=4, noise=0.5, seed=0, interaction=0.0, drop=(), common=0.0):
    """A tidy points frame of the grid a × b, ``replicates`` each, metric y = 5 + a + b
    (+ ``interaction`` at a=40, b=hungarian) + normal noise; ``drop``: (a, b, replicate)
    rows left out (as a failed shard would). ``common`` > 0: replicate r of every design
    point runs on seed r (common random numbers), which adds a shared normal shift of
    that SD; else every point has its own seed."""
    rng = np.random.default_rng(seed)
    shifts = common * rng.normal(size=replicates)
    rows = []
    for design_point, (a, b) in enumerate(itertools.product(A_EFFECT, B_EFFECT)):
        for r in range(replicates):
            if (a, b, r) in drop:
                continue
            bonus = interaction if (a, b) == (40, "hungarian") else 0.0
            y = 5.0 + A_EFFECT[a] + B_EFFECT[b] + bonus + noise * rng.normal()
            y += shifts[r] if common else 0.0
            point_seed = r if common else design_point * 1000 + r
            rows.append(
                {
                    "design_point": design_point,
                    "replicate": r,
                    "seed": point_seed,
                    "a": a,
                    "b": b,
                    "conversion_rate": y,
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs["dimensions"] = ("a", "b")
    return frame


def main_row(result, dimension, level):
    row = result.main[(result.main["dimension"] == dimension) & (result.main["level"] == level)]
    assert len(row) == 1
    return row.iloc[0]


def test_a_balanced_design_gives_plain_means_with_intervals_and_finds_the_real_effect():
    frame = points()
    result = effects(frame, "conversion_rate")
    assert result.factors == ("a", "b") and result.balanced and result.interactions
    assert result.notes == ()
    for level in A_EFFECT:
        row = main_row(result, "a", level)
        assert row["emm"] == pytest.approx(frame.loc[frame.a == level, "conversion_rate"].mean())
        assert row["points"] == 8 and row["low"] < row["emm"] < row["high"]
    # residual df: 24 points − 6 cells; the interval half-width is t(18) · se
    assert result.residual_df == 18
    row = main_row(result, "a", 40)
    assert row["high"] - row["emm"] == pytest.approx(stats.t.ppf(0.975, 18) * row["se"])
    anova = result.anova.set_index("term")
    assert anova.loc["a", "significant"] and anova.loc["a", "p"] < 1e-6
    assert not anova.loc["b", "significant"]
    assert set(anova.index) == {"a", "b", "a × b"}
    assert (anova["p_adjusted"] >= anova["p"]).all()


def test_an_unbalanced_design_is_said_and_the_emm_is_not_confounded():
    # No noise: y is exactly additive. Drop every a=40 point with b=fifo but one: the plain
    # mean of b=fifo now under-weights the high a=40 level, the EMM does not.
    drop = {(40, "fifo", r) for r in range(1, 4)}
    frame = points(noise=0.0, drop=drop)
    result = effects(frame, "conversion_rate", interactions=False)
    assert not result.balanced
    assert any(note.startswith("Unbalanced") for note in result.notes)
    fifo = main_row(result, "b", "fifo")
    assert fifo["mean"] != pytest.approx(5.0 + np.mean(list(A_EFFECT.values())))
    assert fifo["emm"] == pytest.approx(5.0 + np.mean(list(A_EFFECT.values())))
    assert main_row(result, "a", 40)["emm"] == pytest.approx(8.0)


def test_a_missing_combination_leaves_its_cell_unestimable_with_interactions():
    drop = {(40, "fifo", r) for r in range(4)}
    result = effects(points(drop=drop), "conversion_rate")
    cell = result.pairs[(result.pairs.level_a == 40) & (result.pairs.level_b == "fifo")]
    assert cell["points"].item() == 0 and np.isnan(cell["emm"].item())
    assert any("cannot be estimated" in note for note in result.notes)


def test_an_unreplicated_grid_drops_the_interactions_and_still_has_intervals():
    result = effects(points(replicates=1), "conversion_rate")
    assert not result.interactions and result.residual_df == 2  # 6 cells − (1 + 2 + 1)
    assert any("Two-way interactions left out" in note for note in result.notes)
    assert result.main["low"].notna().all()


def test_no_residual_degrees_of_freedom_means_no_intervals_and_a_note():
    frame = points(replicates=1)
    frame = frame[frame.b == "fifo"]
    result = effects(frame, "conversion_rate", dimensions=["a"])
    assert result.residual_df == 0
    assert result.main["low"].isna().all() and result.main["emm"].notna().all()
    assert result.anova.empty
    assert any("No residual degrees of freedom" in note for note in result.notes)


def test_interactions_show_in_the_two_way_cells_and_the_anova():
    result = effects(points(interaction=4.0, noise=0.2, replicates=5), "conversion_rate")
    anova = result.anova.set_index("term")
    assert anova.loc["a × b", "significant"]
    cell = result.pairs[(result.pairs.level_a == 40) & (result.pairs.level_b == "hungarian")]
    assert cell["emm"].item() == pytest.approx(5.0 + 3.0 + 4.0, abs=0.3)


def test_bad_input_names_the_field():
    frame = points()
    with pytest.raises(InvalidRequest) as error:
        effects(frame, "conversion_rat")
    assert error.value.field == "metrics" and "did you mean" in error.value.reason
    with pytest.raises(InvalidRequest) as error:
        effects(frame, "conversion_rate", dimensions=["num_drivers"])
    assert error.value.field == "dimensions"
    with pytest.raises(InvalidRequest) as error:
        effects(frame, "conversion_rate", confidence=1.5)
    assert error.value.field == "confidence"


def test_design_point_summary_is_the_t_interval_over_replicates():
    frame = points(replicates=3)
    summary = design_point_summary(frame, "conversion_rate", confidence=0.9)
    assert list(summary["replicates"]) == [3] * 6
    for row in summary.itertuples():
        values = frame.loc[frame.design_point == row.design_point, "conversion_rate"]
        expected = mean_interval(values.tolist(), confidence=0.9)
        assert row.conversion_rate_mean == pytest.approx(expected.mean)
        assert row.conversion_rate_low == pytest.approx(expected.low)
        assert row.conversion_rate_high == pytest.approx(expected.high)


def test_marginal_mean_intervals_cover_the_truth_at_their_level():
    """95 % intervals of the EMM of a=40 over 400 simulated unbalanced datasets."""
    drop = {(10, "fifo", 0), (20, "hungarian", 1), (40, "fifo", 2)}
    truth = 5.0 + 3.0
    covered = 0
    trials = 400
    for seed in range(trials):
        frame = points(replicates=3, noise=1.0, seed=seed, drop=drop)
        result = effects(frame, "conversion_rate", anova=False)
        row = main_row(result, "a", 40)
        covered += row["low"] <= truth <= row["high"]
    assert 0.92 <= covered / trials <= 0.98


def test_the_fit_on_cell_statistics_is_statsmodels_fit_on_the_points():
    """effects() fits on per-combination counts, means and sums of squares (so 200,000
    points cost what 120 do): the same coefficients, residuals and type II ANOVA as
    statsmodels' OLS and anova_lm on every point."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    frame = points(replicates=3, noise=1.0, seed=5, drop={(10, "fifo", 0), (40, "hungarian", 1)})
    result = effects(frame, "conversion_rate")
    full = smf.ols("conversion_rate ~ C(a) * C(b)", frame).fit()
    assert result.residual_df == full.df_resid
    expected = anova_lm(full, typ=2)
    anova = result.anova.set_index("term")
    for term, label in (("a", "C(a)"), ("b", "C(b)"), ("a × b", "C(a):C(b)")):
        assert anova.loc[term, "F"] == pytest.approx(expected.loc[label, "F"])
        assert anova.loc[term, "p"] == pytest.approx(expected.loc[label, "PR(>F)"])
    # the EMM of a=40: the points' model averaged over b's levels, with its standard error
    grid = pd.DataFrame({"a": [40, 40], "b": ["fifo", "hungarian"]})
    prediction = full.get_prediction(grid).summary_frame()
    row = main_row(result, "a", 40)
    assert row["emm"] == pytest.approx(prediction["mean"].mean())
    interval = full.t_test(_average_row(full, grid)).conf_int(alpha=0.05)[0]
    assert row["low"] == pytest.approx(interval[0])
    assert row["high"] == pytest.approx(interval[1])


def _average_row(fit, grid):
    """The contrast row of a prediction averaged over ``grid`` (patsy, as statsmodels)."""
    from patsy import build_design_matrices

    (matrix,) = build_design_matrices([fit.model.data.model_spec], grid)
    return np.asarray(matrix).mean(axis=0)


def test_common_random_numbers_make_the_seed_a_block():
    """With seed-level noise shared by every design point, the blocked model compares
    within seeds: it equals statsmodels' OLS with C(seed) on the points, and finds an
    effect that the seed noise would hide."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    frame = points(replicates=6, noise=0.2, seed=2, common=3.0)
    frame["conversion_rate"] += np.where(frame["b"] == "hungarian", 0.5, 0.0)  # a real b effect
    blocked = effects(frame, "conversion_rate")
    assert blocked.formula.startswith("y ~ C(seed_block) + ")
    assert any(note.startswith("Common random numbers") for note in blocked.notes)
    full = smf.ols("conversion_rate ~ C(seed) + C(a) * C(b)", frame).fit()
    assert blocked.residual_df == full.df_resid
    expected = anova_lm(full, typ=2)
    anova = blocked.anova.set_index("term")
    assert anova.loc["b", "F"] == pytest.approx(expected.loc["C(b)", "F"])
    assert anova.loc["seed (block)", "F"] == pytest.approx(expected.loc["C(seed)", "F"])
    assert anova.loc["b", "significant"]
    unblocked = effects(frame, "conversion_rate", blocks=False)
    assert not unblocked.anova.set_index("term").loc["b", "significant"]


def test_a_term_that_explains_nothing_has_f_zero_not_a_rounding_error_below():
    """On common seeds a dimension the kernel ignores gives identical points (commission
    does not change what riders do): its F is 0, never a rounding error below it."""
    frame = points(replicates=4, noise=0.3, seed=4, common=2.0)
    fifo = frame[frame["b"] == "fifo"].set_index(["a", "replicate"])["conversion_rate"]
    frame["conversion_rate"] = fifo.reindex(
        pd.MultiIndex.from_frame(frame[["a", "replicate"]])
    ).to_numpy()  # b changes nothing
    anova = effects(frame, "conversion_rate").anova.set_index("term")
    assert 0.0 <= anova.loc["b", "F"] < 1e-9 and not anova.loc["b", "significant"]
    assert (anova["F"] >= 0).all()
