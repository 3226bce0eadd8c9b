"""What each dimension does to a metric: per design point summaries, main effects and
two-way interactions with intervals, and an ANOVA table — from ``statsmodels`` OLS.

The marginal mean of a level is an **estimated marginal mean** (EMM): the model's
prediction averaged over a balanced grid of the other dimensions' levels. On a complete,
balanced design it equals the plain average of the points at that level; when shards
failed or replications differ it is not confounded by which points happen to be missing,
and the result says the design was unbalanced (the plain average is kept beside it).

The model is ``metric ~ every swept dimension (as a factor) + their two-way
interactions``. Without enough points to leave residual degrees of freedom the
interactions are dropped (said in ``notes``), and without any the intervals are missing:
replicate the points (``replications`` ≥ 2) to get them.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from scipy import stats

from sweeplib.analysis._points import check_metrics, dimensions_of
from sweeplib.analysis._stats import AdjustMethod, adjust_pvalues
from sweeplib.errors import InvalidRequest

__all__ = [
    "MAX_FACTOR_LEVELS",
    "Effects",
    "design_point_summary",
    "effects",
    "factor_dimensions",
    "level_order",
]

#: Most distinct values a dimension may take to be analysed as a factor; a sampled
#: dimension (a value per point) is left to the sensitivity analysis.
MAX_FACTOR_LEVELS: Final = 12


_PAIR_COLUMNS: Final = (
    "dimension_a",
    "level_a",
    "dimension_b",
    "level_b",
    "points",
    "mean",
    "emm",
    "se",
    "low",
    "high",
)


#: The model's name of the seed block (common random numbers).
BLOCK: Final = "seed_block"
#: Most seeds taken as blocks; beyond, the seed is left out of the model.
MAX_BLOCKS: Final = 100


def _common_seeds(frame: pd.DataFrame, factors: Sequence[str]) -> bool:
    """Whether points of different combinations of the factors share seeds (common random
    numbers), with at most :data:`MAX_BLOCKS` seeds."""
    if "seed" not in frame.columns or frame["seed"].isna().any():
        return False
    seeds = frame["seed"].nunique()
    if not 2 <= seeds <= MAX_BLOCKS:
        return False
    combos_per_seed = frame.groupby("seed")[list(factors)].apply(lambda g: len(g.drop_duplicates()))
    return bool((combos_per_seed > 1).all())


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InvalidRequest("confidence", f"must be in (0, 1), got {confidence!r}")


def level_order(values: pd.Series) -> list[Any]:
    """The distinct values of a dimension column, in natural order (numbers by value)."""
    distinct = list(pd.unique(values.dropna()))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=str)


def factor_dimensions(frame: pd.DataFrame, max_levels: int = MAX_FACTOR_LEVELS) -> list[str]:
    """The dimensions of a points frame that take 2 … ``max_levels`` values."""
    return [
        name for name in dimensions_of(frame) if 2 <= frame[name].nunique(dropna=True) <= max_levels
    ]


def design_point_summary(
    frame: pd.DataFrame,
    metrics: Sequence[str] | str | None = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per design point: its dimension values, replicates, and for each metric the mean,
    sample SD and Student's t interval over the replicates (``nan`` bounds with one).

    Columns: ``design_point``, the dimensions, ``replicates``, then for each metric
    ``{m}_mean``, ``{m}_sd``, ``{m}_low``, ``{m}_high``.
    """
    _check_confidence(confidence)
    chosen = check_metrics(frame, metrics)
    dims = list(dimensions_of(frame))
    grouped = frame.groupby("design_point", sort=True)
    result = grouped[dims].first() if dims else pd.DataFrame(index=grouped.size().index)
    n = grouped.size()
    result["replicates"] = n
    t = pd.Series(
        stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n.to_numpy() - 1, 1)), index=n.index
    )
    t[n < 2] = math.nan
    for metric in chosen:
        mean = grouped[metric].mean()
        sd = grouped[metric].std(ddof=1)
        half = t * sd / np.sqrt(n)
        result[f"{metric}_mean"] = mean
        result[f"{metric}_sd"] = sd
        result[f"{metric}_low"] = mean - half
        result[f"{metric}_high"] = mean + half
    return result.reset_index()


@dataclass(frozen=True)
class Effects:
    """Main effects and two-way interactions of one metric.

    Attributes
    ----------
    metric : str
    factors : tuple of str
        The dimensions in the model, each as a factor.
    formula : str
        The fitted model (statsmodels formula over the factors, renamed ``f0``, ``f1`` …).
    interactions : bool
        Whether the model has the two-way interactions.
    residual_df : float
        Residual degrees of freedom; 0 means no intervals.
    main : pandas.DataFrame
        Per factor level: ``dimension``, ``level``, ``points``, ``mean`` (plain average of
        the points), ``emm`` (estimated marginal mean), ``se``, ``low``, ``high``.
    pairs : pandas.DataFrame
        Per pair of factors and pair of levels: ``dimension_a``, ``level_a``,
        ``dimension_b``, ``level_b``, ``points``, ``mean``, ``emm``, ``se``, ``low``,
        ``high`` (cells of the two-way tables; what heatmaps and interaction plots draw).
    anova : pandas.DataFrame
        Type II ANOVA: ``term``, ``df``, ``F``, ``p``, ``p_adjusted`` (over the terms, by
        ``adjust``), ``significant``; empty without residual degrees of freedom.
    balanced : bool
        Every combination of the factors' levels has the same number of points.
    notes : tuple of str
        What the reader must know: an unbalanced design, dropped interactions, no
        intervals, levels that cannot be estimated.
    confidence : float
    adjust : str
    """

    metric: str
    factors: tuple[str, ...]
    formula: str
    interactions: bool
    residual_df: float
    main: pd.DataFrame
    pairs: pd.DataFrame
    anova: pd.DataFrame
    balanced: bool
    notes: tuple[str, ...]
    confidence: float
    adjust: str


def _estimates(
    rows: np.ndarray, beta: np.ndarray, cov: np.ndarray, projector: np.ndarray, df: float, q: float
) -> tuple[np.ndarray, ...]:
    emm = rows @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", rows, cov, rows), 0.0))
    estimable = np.all(np.isclose(rows @ projector, rows, atol=1e-8), axis=1)
    if df > 0 and math.isfinite(q):
        low, high = emm - q * se, emm + q * se
    else:
        low = high = np.full(emm.shape, math.nan)
        se = np.full(emm.shape, math.nan)
    emm = np.where(estimable, emm, math.nan)
    return (
        emm,
        np.where(estimable, se, math.nan),
        np.where(estimable, low, math.nan),
        np.where(estimable, high, math.nan),
    )


def effects(
    frame: pd.DataFrame,
    metric: str,
    *,
    dimensions: Sequence[str] | None = None,
    confidence: float = 0.95,
    adjust: AdjustMethod = "holm",
    interactions: bool = True,
    anova: bool = True,
    blocks: bool = True,
) -> Effects:
    """Main effects and two-way interactions of ``metric`` over the dimensions.

    Parameters
    ----------
    frame
        A tidy points frame (:func:`~sweeplib.analysis.run_points`), replicates included.
    metric
        A metric column (``*_ms`` names are accepted and read in seconds).
    dimensions
        The factors; default: every dimension with 2 … :data:`MAX_FACTOR_LEVELS` values.
    confidence
        Two-sided coverage of the intervals.
    adjust
        Multiple-comparison correction of the ANOVA p-values: ``"holm"`` or ``"fdr_bh"``.
    interactions
        Fit the two-way interactions when the points leave room for them.
    anova
        Also test each term (:attr:`Effects.anova`; ``False`` leaves it empty).
    blocks
        When points share seeds across combinations of the factors (common random
        numbers), put the seed in the model as a block (at most :data:`MAX_BLOCKS` seeds).

    Raises
    ------
    InvalidRequest
        An unknown metric or dimension, a dimension with one value, no points.
    """
    _check_confidence(confidence)
    (column,) = check_metrics(frame, [metric])
    factors = list(dimensions) if dimensions is not None else factor_dimensions(frame)
    known = dimensions_of(frame)
    for name in factors:
        if name not in known:
            raise InvalidRequest("dimensions", f"{name!r} is not a dimension of the run: {known}")
        if frame[name].nunique(dropna=True) < 2:
            raise InvalidRequest("dimensions", f"{name!r} takes one value: not an effect")
    blocked = blocks and _common_seeds(frame, factors)
    data = frame[[*factors, column, *(["seed"] if blocked else [])]].dropna()
    if data.empty:
        raise InvalidRequest("frame", f"no point has a value of {column}")
    if not factors:
        raise InvalidRequest("dimensions", "no dimension with 2 or more values to analyse")
    levels = {name: level_order(data[name]) for name in factors}
    safe = {name: f"f{i}" for i, name in enumerate(factors)}
    main_terms = [f"C({safe[name]})" for name in factors]
    pair_terms = [f"{a}:{b}" for a, b in itertools.combinations(main_terms, 2)]
    notes: list[str] = []

    counts = data.groupby(factors, observed=True).size()
    complete = int(np.prod([len(v) for v in levels.values()]))
    balanced = len(counts) == complete and counts.nunique() == 1
    if not balanced:
        notes.append(
            f"Unbalanced: {len(counts)} of {complete} combinations of "
            f"{', '.join(factors)} have points, with {int(counts.min())}–"
            f"{int(counts.max())} points each; plain means per level are confounded "
            "with what is missing, so read the estimated marginal means (emm)."
        )
    block_terms: list[str] = []
    model_levels = dict(levels)
    if blocked:
        # common random numbers: the seed is a block, effects are compared within seeds
        safe = {**safe, "seed": BLOCK}
        model_levels["seed"] = level_order(data["seed"])
        block_terms = [f"C({BLOCK})"]
        notes.append(
            f"Common random numbers: the {len(model_levels['seed'])} seeds are shared across "
            "design points, so the model has the seed as a block and compares the "
            "dimensions within seeds (paired); marginal means are conditional on these seeds."
        )
    cells = _cells(data, list(model_levels), column, model_levels, safe)

    use_pairs = interactions and bool(pair_terms)
    model = _CellModel(cells, block_terms + main_terms + (pair_terms if use_pairs else []))
    if use_pairs and model.residual_df < 1:
        notes.append(
            "Two-way interactions left out: the points leave no residual degrees of freedom "
            "for them (replicate the points to estimate interactions with intervals)."
        )
        use_pairs = False
        model = _CellModel(cells, block_terms + main_terms)
    residual_df = model.residual_df
    if residual_df < 1:
        notes.append("No residual degrees of freedom: no intervals (replicate the points).")
    q = float(stats.t.ppf(0.5 + confidence / 2.0, residual_df)) if residual_df >= 1 else math.nan
    formula = model.formula
    exog = model.exog
    projector = np.linalg.pinv(exog) @ exog
    beta = model.beta
    cov = model.cov()
    grid = pd.DataFrame(
        list(itertools.product(*model_levels.values())), columns=[safe[n] for n in model_levels]
    )
    for name, values in model_levels.items():
        grid[safe[name]] = pd.Categorical(grid[safe[name]], categories=values)
    grid_x = model.matrix(grid)

    main_rows = []
    for name in factors:
        rows = np.stack(
            [grid_x[(grid[safe[name]] == level).to_numpy()].mean(0) for level in levels[name]]
        )
        emm, se, low, high = _estimates(rows, beta, cov, projector, residual_df, q)
        for i, level in enumerate(levels[name]):
            at = data[name] == level
            main_rows.append(
                {
                    "dimension": name,
                    "level": level,
                    "points": int(at.sum()),
                    "mean": float(data.loc[at, column].mean()),
                    "emm": emm[i],
                    "se": se[i],
                    "low": low[i],
                    "high": high[i],
                }
            )
    pair_rows = []
    for a, b in itertools.combinations(factors, 2):
        combos = list(itertools.product(levels[a], levels[b]))
        rows = np.stack(
            [
                grid_x[((grid[safe[a]] == la) & (grid[safe[b]] == lb)).to_numpy()].mean(0)
                for la, lb in combos
            ]
        )
        emm, se, low, high = _estimates(rows, beta, cov, projector, residual_df, q)
        for i, (la, lb) in enumerate(combos):
            at = (data[a] == la) & (data[b] == lb)
            pair_rows.append(
                {
                    "dimension_a": a,
                    "level_a": la,
                    "dimension_b": b,
                    "level_b": lb,
                    "points": int(at.sum()),
                    "mean": float(data.loc[at, column].mean()) if at.any() else math.nan,
                    "emm": emm[i],
                    "se": se[i],
                    "low": low[i],
                    "high": high[i],
                }
            )
    main = pd.DataFrame(main_rows)
    main["level"] = main["level"].astype(object)  # each dimension keeps its own type
    if main["emm"].isna().any():
        notes.append(
            "Some marginal means cannot be estimated from the points present (whole "
            "combinations are missing): they are left empty."
        )
    table = _anova(
        cells,
        model,
        block_terms + main_terms,
        pair_terms if use_pairs else [],
        safe,
        adjust,
        anova,
    )
    pairs = pd.DataFrame(pair_rows, columns=_PAIR_COLUMNS)
    pairs[["level_a", "level_b"]] = pairs[["level_a", "level_b"]].astype(object)
    return Effects(
        metric=column,
        factors=tuple(factors),
        formula=formula,
        interactions=use_pairs,
        residual_df=residual_df,
        main=main,
        pairs=pairs,
        anova=table,
        balanced=balanced,
        notes=tuple(notes),
        confidence=confidence,
        adjust=adjust,
    )


def _anova(
    cells: pd.DataFrame,
    model: _CellModel,
    main_terms: list[str],
    pair_terms: list[str],
    safe: dict[str, str],
    adjust: AdjustMethod,
    wanted: bool,
) -> pd.DataFrame:
    """Type II ANOVA (what ``statsmodels.stats.anova.anova_lm(typ=2)`` computes): each
    term's sum of squares is the residual SS gained by adding it to the model of every
    term that does not contain it; F against the full model's residual mean square."""
    columns = ["term", "df", "F", "p", "p_adjusted", "significant"]
    if not wanted or model.residual_df < 1 or model.rss == 0.0:
        return pd.DataFrame({name: [] for name in columns})
    terms = main_terms + pair_terms
    mean_square = model.rss / model.residual_df
    names = {f"C({code})": name for name, code in safe.items()}
    names[f"C({BLOCK})"] = "seed (block)"
    rows = []
    for term in terms:
        parts = set(term.split(":"))
        others = [t for t in terms if t != term and not parts < set(t.split(":"))]
        without = _CellModel(cells, others)
        with_term = _CellModel(cells, [*others, term])
        df = with_term.rank - without.rank
        if df < 1:
            continue  # not estimable apart from the others (missing combinations)
        # a term that explains nothing can come out a rounding error below 0
        f_value = max((without.rss - with_term.rss) / df / mean_square, 0.0)
        rows.append(
            {
                "term": " × ".join(names.get(p, p) for p in term.split(":")),
                "df": float(df),
                "F": f_value,
                "p": float(stats.f.sf(f_value, df, model.residual_df)),
            }
        )
    table = pd.DataFrame(rows, columns=columns[:4])
    reject, adjusted = adjust_pvalues(table["p"].tolist(), method=adjust)
    table["p_adjusted"] = adjusted
    table["significant"] = reject
    return table


def _cells(
    data: pd.DataFrame,
    factors: list[str],
    column: str,
    levels: dict[str, list[Any]],
    safe: dict[str, str],
) -> pd.DataFrame:
    """One row per combination of the factors that has points: its count, mean and the
    sum of squares within it — all a model of categorical factors needs (its fit on the
    points equals the weighted fit on these rows, whatever the number of points)."""
    grouped = data.groupby(factors, observed=True, sort=True)[column]
    stats_ = grouped.agg(["size", "mean", "var"]).reset_index()
    cells = pd.DataFrame(
        {safe[name]: pd.Categorical(stats_[name], categories=levels[name]) for name in factors}
    )
    cells["n"] = stats_["size"].to_numpy()
    cells["y"] = stats_["mean"].to_numpy(dtype=float)
    cells["ss"] = (stats_["var"].fillna(0.0) * (stats_["size"] - 1)).to_numpy(dtype=float)
    return cells


class _CellModel:
    """OLS of the points on categorical factors, fitted on the cell statistics: weighted
    least squares of the cell means (weights: the counts, statsmodels WLS) gives the
    points' coefficients; the residual SS adds the within-cell SS; the residual df is the
    number of points minus the rank."""

    def __init__(self, cells: pd.DataFrame, terms: list[str]) -> None:
        from statsmodels.formula.api import wls

        self.formula = "y ~ " + (" + ".join(terms) if terms else "1")
        with warnings.catch_warnings():
            # rank deficiency (missing combinations) is handled: estimability is checked
            warnings.simplefilter("ignore")
            self.fit = wls(self.formula, cells, weights=cells["n"]).fit(method="pinv")
        self.exog = np.asarray(self.fit.model.exog, dtype=float)
        self.beta = np.asarray(self.fit.params, dtype=float)
        self.rank = int(np.linalg.matrix_rank(self.exog))
        self.points = int(cells["n"].sum())
        self.residual_df = float(self.points - self.rank)
        self.rss = float(cells["ss"].sum() + self.fit.ssr)

    def cov(self) -> np.ndarray:
        """Covariance of the coefficients (zeros without residual degrees of freedom)."""
        if self.residual_df < 1:
            return np.zeros((self.beta.size,) * 2)
        sigma2 = self.rss / self.residual_df
        return np.asarray(self.fit.normalized_cov_params, dtype=float) * sigma2

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """The design matrix of new rows (patsy or formulaic, whichever statsmodels
        used for the formula)."""
        spec = self.fit.model.data.model_spec
        if hasattr(spec, "get_model_matrix"):  # formulaic
            return np.asarray(spec.get_model_matrix(rows), dtype=float)
        from patsy import build_design_matrices

        (matrix,) = build_design_matrices([spec], rows)
        return np.asarray(matrix, dtype=float)
