"""Baseline against treatment, where configurations differ in dimension values — within
one run or between two — with intervals a scientist can trust.

An **arm** is one configuration: the values of the *factors* (the dimensions that differ,
plus ``run`` between runs). The points of an arm are split into **strata** by the other
swept dimensions (``match_on``): each treatment is compared with the baseline stratum by
stratum, so a difference in what else was swept never masquerades as an effect.

Per stratum the difference of means gets

* a **paired** interval when baseline and treatment ran on common random numbers (their
  points have the same seeds: ``seeding = "common"`` within a run, or two runs with the
  same seed and layout) — replicate against replicate, :func:`paired_difference`;
* else **Welch's** interval from each side's mean, SD and count (:func:`mean_difference`).

The overall effect of a treatment is the average of its stratum differences. Its
interval combines the strata's standard errors (Welch–Satterthwaite degrees of freedom)
when every stratum is replicated; with one point per stratum it is the t interval of the
stratum differences (strata as blocks, assuming no treatment × stratum interaction);
with one stratum and no replicates there is none. p-values are corrected for the number
of comparisons (treatments × metrics) by Holm or Benjamini–Hochberg.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
from scipy import stats

from sweeplib.analysis._effects import level_order
from sweeplib.analysis._inputs import json_object
from sweeplib.analysis._points import check_metrics, dimensions_of, run_points
from sweeplib.analysis._stats import (
    AdjustMethod,
    adjust_pvalues,
    mean_difference,
    paired_difference,
)
from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest
from sweeplib.query import QueryEngine

__all__ = [
    "CONTRAST_COLUMNS",
    "Contrasts",
    "compare_configurations",
    "contrasts",
    "default_baseline",
    "no_contrasts",
]

#: The columns of :attr:`Contrasts.table`.
CONTRAST_COLUMNS: Final = (
    "treatment",
    "metric",
    "baseline_mean",
    "treatment_mean",
    "delta",
    "relative",
    "se",
    "df",
    "low",
    "high",
    "p",
    "p_adjusted",
    "significant",
    "method",
    "strata",
    "baseline_points",
    "treatment_points",
)


@dataclass(frozen=True)
class Contrasts:
    """Each treatment arm against the baseline, per metric.

    Attributes
    ----------
    baseline : str
        The baseline arm's label (``factor=value, …``).
    treatments : tuple of str
        The other arms' labels, in order.
    factors : tuple of str
        The columns that define an arm.
    match_on : tuple of str
        The dimensions the arms are compared within (strata).
    metrics : tuple of str
    table : pandas.DataFrame
        One row per treatment and metric (:data:`CONTRAST_COLUMNS`): means of both arms
        (averaged over the strata they share), ``delta`` = treatment − baseline,
        ``relative`` = delta / |baseline mean|, its standard error, degrees of freedom,
        interval, p-value, adjusted p-value and whether it is significant after the
        correction, the ``method`` (``paired``, ``welch``, ``blocks``, or ``none``), and
        how many strata and points entered.
    strata : pandas.DataFrame
        The stratum-level differences: ``treatment``, ``metric``, the ``match_on``
        columns, ``delta``, ``se``, ``df``, ``low``, ``high``, ``method``, ``n_baseline``,
        ``n_treatment``.
    confidence : float
    adjust : str
    """

    baseline: str
    treatments: tuple[str, ...]
    factors: tuple[str, ...]
    match_on: tuple[str, ...]
    metrics: tuple[str, ...]
    table: pd.DataFrame
    strata: pd.DataFrame
    confidence: float
    adjust: str

    def headline(self) -> str:
        """A few Markdown lines: what was compared with what, and what stands out."""
        if not self.treatments:
            return f"No contrasts: {self.baseline}."
        lines = [
            f"**Baseline** {self.baseline}; **treatments**: "
            + ("; ".join(self.treatments) or "none")
            + ".",
        ]
        if self.match_on:
            lines.append(
                "Compared within equal values of "
                + ", ".join(f"`{d}`" for d in self.match_on)
                + "."
            )
        methods = sorted(set(self.table["method"])) if len(self.table) else []
        lines.append(
            f"{self.confidence:.0%} intervals ({', '.join(methods) or 'none'}); p-values "
            f"corrected by {'Holm' if self.adjust == 'holm' else 'Benjamini–Hochberg'} over "
            f"{len(self.table)} comparisons."
        )
        hits = self.table[self.table["significant"].astype(bool)]
        if len(hits):
            shown = ", ".join(
                f"{row.metric} {row.delta:+.4g} ({row.treatment})"
                for row in hits.head(6).itertuples()
            )
            lines.append(f"Significant: {shown}" + (" …" if len(hits) > 6 else "") + ".")
        else:
            lines.append("No difference is significant after the correction.")
        return "  \n".join(lines)


def no_contrasts(reason: str) -> Contrasts:
    """An empty :class:`Contrasts` whose headline says ``reason`` (nothing to compare)."""
    return Contrasts(
        baseline=reason,
        treatments=(),
        factors=(),
        match_on=(),
        metrics=(),
        table=pd.DataFrame({name: [] for name in CONTRAST_COLUMNS}),
        strata=pd.DataFrame(),
        confidence=0.95,
        adjust="holm",
    )


def default_baseline(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The baseline a report compares against when none is given: the first value of the
    first dimension that takes 2–12 values (``None`` when there is none)."""
    from sweeplib.analysis._effects import factor_dimensions

    factors = factor_dimensions(frame)
    if not factors:
        return None
    first = level_order(frame[factors[0]])[0]
    return {factors[0]: first.item() if hasattr(first, "item") else first}


def _label(factors: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{f}={_show(v)}" for f, v in zip(factors, values, strict=True))


def _show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "default"
    value = value.item() if hasattr(value, "item") else value
    return json.dumps(value) if isinstance(value, str) else str(value)


def _key(value: Any) -> Any:
    """Grouping key of a value: missing values group together, numbers by value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\0missing"
    return value.item() if hasattr(value, "item") else value


def _matches(row: Sequence[Any], wanted: Sequence[Any]) -> bool:
    return all(_key(a) == _key(b) for a, b in zip(row, wanted, strict=True))


@dataclass(frozen=True)
class _Difference:
    delta: float
    se: float
    df: float
    low: float
    high: float
    method: str


def _stratum_difference(
    base: pd.DataFrame, treat: pd.DataFrame, metric: str, confidence: float
) -> _Difference:
    a = base[[metric, "seed"]].dropna(subset=[metric])
    b = treat[[metric, "seed"]].dropna(subset=[metric])
    seeds_a, seeds_b = sorted(a["seed"].tolist()), sorted(b["seed"].tolist())
    paired = (
        len(a) >= 2
        and seeds_a == seeds_b
        and len(set(seeds_a)) == len(seeds_a)
        and not a["seed"].isna().any()
    )
    if paired:
        xa = a.sort_values("seed")[metric].to_numpy(float)
        xb = b.sort_values("seed")[metric].to_numpy(float)
        d = paired_difference(xa, xb, confidence=confidence)
        return _Difference(d.delta, d.standard_error, d.degrees_of_freedom, d.low, d.high, "paired")
    xa, xb = a[metric].to_numpy(float), b[metric].to_numpy(float)
    sd_a = float(xa.std(ddof=1)) if len(xa) >= 2 else math.nan
    sd_b = float(xb.std(ddof=1)) if len(xb) >= 2 else math.nan
    d = mean_difference(
        float(xa.mean()), sd_a, len(xa), float(xb.mean()), sd_b, len(xb), confidence=confidence
    )
    method = "welch" if not math.isnan(d.low) else "none"
    return _Difference(d.delta, d.standard_error, d.degrees_of_freedom, d.low, d.high, method)


def _combine(parts: list[_Difference], confidence: float) -> _Difference:
    """The average of stratum differences, with its interval (see the module docstring)."""
    k = len(parts)
    deltas = np.array([p.delta for p in parts])
    delta = float(deltas.mean())
    q = 0.5 + confidence / 2.0
    if all(not math.isnan(p.se) for p in parts):
        methods = {p.method for p in parts}
        method = methods.pop() if len(methods) == 1 else "mixed"
        variance = sum(p.se**2 for p in parts) / k**2
        se = math.sqrt(variance)
        if se == 0.0:
            return _Difference(delta, 0.0, math.nan, delta, delta, method)
        denominator = sum(
            (p.se**2 / k**2) ** 2 / p.df for p in parts if p.df > 0 and math.isfinite(p.df)
        )
        df = variance**2 / denominator if denominator > 0 else math.inf
        half = float(stats.t.ppf(q, df)) * se
        return _Difference(delta, se, df, delta - half, delta + half, method)
    if k >= 2:
        se = float(deltas.std(ddof=1)) / math.sqrt(k)
        half = float(stats.t.ppf(q, k - 1)) * se
        return _Difference(delta, se, float(k - 1), delta - half, delta + half, "blocks")
    return _Difference(delta, math.nan, math.nan, math.nan, math.nan, "none")


def _p_value(d: _Difference) -> float:
    if math.isnan(d.se) or (math.isnan(d.df) and d.se != 0.0):
        return math.nan
    if d.se == 0.0:
        return 0.0 if d.delta != 0.0 else 1.0
    return float(2.0 * stats.t.sf(abs(d.delta / d.se), d.df))


def contrasts(
    frame: pd.DataFrame,
    baseline: Mapping[str, Any],
    *,
    metrics: Sequence[str] | str | None = None,
    factors: Sequence[str] | None = None,
    match_on: Sequence[str] | None = None,
    treatments: Sequence[Mapping[str, Any]] | None = None,
    confidence: float = 0.95,
    adjust: AdjustMethod = "holm",
) -> Contrasts:
    """Every other configuration of ``factors`` against ``baseline``, per metric.

    Parameters
    ----------
    frame
        A tidy points frame (:func:`~sweeplib.analysis.run_points`, or two runs'
        concatenated with a ``run`` column).
    baseline
        The baseline configuration: a value for each factor, e.g.
        ``{"commission_rate": 0.1}``.
    metrics
        Metric columns (default: every metric).
    factors
        The columns that define an arm (default: ``baseline``'s keys).
    match_on
        The dimensions to compare within (default: every other dimension that takes more
        than one value).
    treatments
        The treatment configurations (default: every other arm present).
    confidence
        Two-sided coverage of the intervals.
    adjust
        ``"holm"`` (family-wise error) or ``"fdr_bh"`` (false discovery rate).

    Raises
    ------
    InvalidRequest
        An unknown factor, metric or dimension; a baseline or treatment with no points;
        a treatment that shares no stratum with the baseline.
    """
    if not 0.0 < confidence < 1.0:
        raise InvalidRequest("confidence", f"must be in (0, 1), got {confidence!r}")
    if adjust not in ("holm", "fdr_bh"):
        raise InvalidRequest("adjust", f"must be 'holm' or 'fdr_bh', got {adjust!r}")
    baseline = json_object("baseline", baseline) or {}  # a dict, or JSON text (papermill -p)
    if not baseline:
        raise InvalidRequest(
            "baseline", "name the baseline configuration, e.g. {'commission_rate': 0.1}"
        )
    chosen = check_metrics(frame, metrics)
    factors = list(factors) if factors is not None else list(baseline)
    for name in factors:
        if name not in frame.columns:
            raise InvalidRequest(
                "baseline", f"{name!r} is not a column of the points: {dimensions_of(frame)}"
            )
        if name not in baseline:
            raise InvalidRequest("baseline", f"give a baseline value of {name!r}")
    dims = dimensions_of(frame)
    if match_on is None:
        match_on = [d for d in dims if d not in factors and frame[d].nunique(dropna=False) > 1]
    for name in match_on:
        if name not in frame.columns:
            raise InvalidRequest("match_on", f"{name!r} is not a dimension of the points: {dims}")
    match_on = list(match_on)
    base_values = [baseline[f] for f in factors]

    arm_codes, arm_key_of = _codes(frame, factors)
    arms: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    code_of: dict[tuple[Any, ...], int] = {}
    for code, (key, values) in arm_key_of.items():
        arms[key], code_of[key] = values, code
    base_key = tuple(_key(v) for v in base_values)
    if base_key not in arms:
        present = "; ".join(_label(factors, v) for v in arms.values())
        raise InvalidRequest(
            "baseline", f"no point has {_label(factors, base_values)}; arms: {present}"
        )
    if treatments is None:
        treatment_keys = [k for k in sorted(arms, key=str) if k != base_key]
        ordered = _natural(arms, treatment_keys, factors)
    else:
        ordered = []
        for treatment in treatments:
            key = tuple(_key(treatment.get(f)) for f in factors)
            if key not in arms:
                raise InvalidRequest(
                    "treatments",
                    f"no point has {_label(factors, [treatment.get(f) for f in factors])}",
                )
            ordered.append(key)
    if not ordered:
        raise InvalidRequest(
            "baseline", f"nothing to compare: every point has {_label(factors, base_values)}"
        )

    stratum_codes, stratum_key_of = _codes(frame, match_on)
    # one pass over the points: the cell of every (arm, stratum)
    cells = dict(list(frame.groupby([arm_codes, stratum_codes], sort=False)))
    strata_of: dict[int, set[int]] = {}
    for arm, stratum in cells:
        strata_of.setdefault(arm, set()).add(stratum)
    base_code = code_of[base_key]
    rows, stratum_rows = [], []
    for key in ordered:
        label = _label(factors, arms[key])
        code = code_of[key]
        shared = sorted(
            strata_of.get(base_code, set()) & strata_of.get(code, set()),
            key=lambda s: _natural_key(stratum_key_of[s][0]),
        )
        if not shared:
            raise InvalidRequest(
                "match_on",
                f"{label} shares no combination of {', '.join(match_on)} with the baseline; "
                "compare within fewer dimensions (match_on=[…])",
            )
        for metric in chosen:
            parts = []
            for stratum in shared:
                base, treat = cells[(base_code, stratum)], cells[(code, stratum)]
                d = _stratum_difference(base, treat, metric, confidence)
                parts.append(d)
                stratum_rows.append(
                    {
                        "treatment": label,
                        "metric": metric,
                        **dict(zip(match_on, stratum_key_of[stratum][1], strict=True)),
                        "delta": d.delta,
                        "se": d.se,
                        "df": d.df,
                        "low": d.low,
                        "high": d.high,
                        "method": d.method,
                        "n_baseline": len(base),
                        "n_treatment": len(treat),
                    }
                )
            overall = _combine(parts, confidence)
            base_mean = float(np.mean([cells[(base_code, s)][metric].mean() for s in shared]))
            rows.append(
                {
                    "treatment": label,
                    "metric": metric,
                    "baseline_mean": base_mean,
                    "treatment_mean": base_mean + overall.delta,
                    "delta": overall.delta,
                    "relative": overall.delta / abs(base_mean) if base_mean else math.nan,
                    "se": overall.se,
                    "df": overall.df,
                    "low": overall.low,
                    "high": overall.high,
                    "p": _p_value(overall),
                    "method": overall.method,
                    "strata": len(shared),
                    "baseline_points": sum(len(cells[(base_code, s)]) for s in shared),
                    "treatment_points": sum(len(cells[(code, s)]) for s in shared),
                }
            )
    table = pd.DataFrame(rows)
    significant, adjusted = adjust_pvalues(table["p"].tolist(), method=adjust, alpha=1 - confidence)
    table["p_adjusted"] = adjusted
    table["significant"] = significant
    table = table[list(CONTRAST_COLUMNS)]
    return Contrasts(
        baseline=_label(factors, base_values),
        treatments=tuple(_label(factors, arms[k]) for k in ordered),
        factors=tuple(factors),
        match_on=tuple(match_on),
        metrics=chosen,
        table=table,
        strata=pd.DataFrame(stratum_rows),
        confidence=confidence,
        adjust=adjust,
    )


def _codes(
    frame: pd.DataFrame, columns: Sequence[str]
) -> tuple[pd.Series, dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]]]:
    """A group number per point over ``columns`` (missing values form their own group),
    and per number its key (:func:`_key` of each value) and its values."""
    if not columns:
        return pd.Series(0, index=frame.index), {0: ((), ())}
    codes = frame.groupby(list(columns), dropna=False, sort=False).ngroup()
    firsts = frame.loc[~codes.duplicated(), list(columns)]
    return codes, {
        int(code): (tuple(_key(v) for v in values), tuple(values))
        for code, values in zip(codes[firsts.index], firsts.itertuples(index=False), strict=True)
    }


def _natural_key(values: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple((0, v) if isinstance(v, int | float) else (1, str(v)) for v in values)


def _natural(
    arms: Mapping[tuple[Any, ...], tuple[Any, ...]],
    keys: list[tuple[Any, ...]],
    factors: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Treatment arms in the natural order of their factor values."""
    frame = pd.DataFrame([arms[k] for k in keys], columns=list(factors))
    frame["_key"] = keys
    orders = {f: {_key(v): i for i, v in enumerate(level_order(frame[f]))} for f in factors}
    big = len(frame) + 1
    frame["_rank"] = frame.apply(
        lambda r: tuple(orders[f].get(_key(r[f]), big) for f in factors), axis=1
    )
    return list(frame.sort_values("_rank")["_key"])


def compare_configurations(
    engine: QueryEngine,
    run_a: str,
    run_b: str,
    *,
    metrics: Sequence[str] | str | None = None,
    baseline: Mapping[str, Any] | None = None,
    match_on: Sequence[str] | None = None,
    confidence: float = 0.95,
    adjust: AdjustMethod = "holm",
) -> Contrasts:
    """Run ``b`` against baseline run ``a``, where they differ in dimension values.

    The arms are the ``run`` and every dimension whose set of values differs between the
    runs (a dimension one run does not set reads ``default``); the points are compared
    within equal values of the dimensions both runs sweep alike. Paired intervals where
    the runs share seeds (common random numbers), Welch's otherwise.

    Parameters
    ----------
    baseline
        The baseline arm when run ``a`` has more than one configuration of the differing
        dimensions, e.g. ``{"commission_rate": 0.1}`` (``run`` is implied).

    Raises
    ------
    InvalidRequest
        The same run twice, an unknown run, or a baseline that is ambiguous or absent.
    """
    validate_run_id(run_a)
    validate_run_id(run_b)
    if run_a == run_b:
        raise InvalidRequest(
            "run_b",
            f"compare two different runs (both are {run_a!r}); use contrasts() within one run",
        )
    a, b = run_points(engine, run_a), run_points(engine, run_b)
    frame = _stack(a, b)
    dims = dimensions_of(frame)
    differing = [d for d in dims if _value_set(a, d) != _value_set(b, d)]
    factors = ["run", *differing]
    if match_on is None:
        match_on = [d for d in dims if d not in differing and len(_value_set(a, d)) > 1]
    base_arms = _configurations(frame[frame["run"] == run_a], differing)
    chosen: dict[str, Any] = {"run": run_a}
    baseline = json_object("baseline", baseline)  # a dict, or JSON text (papermill -p)
    if baseline:
        chosen.update(baseline)
    elif len(base_arms) == 1:
        chosen.update(base_arms.iloc[0].to_dict())
    else:
        options = "; ".join(_label(differing, list(r)) for r in base_arms.itertuples(index=False))
        raise InvalidRequest(
            "baseline",
            f"run {run_a!r} has {len(base_arms)} configurations ({options}): "
            "pick one with baseline={…}",
        )
    treatments = [
        {"run": run_b, **dict(zip(differing, row, strict=True))}
        for row in _configurations(frame[frame["run"] == run_b], differing).itertuples(index=False)
    ]
    return contrasts(
        frame,
        chosen,
        metrics=metrics,
        factors=factors,
        match_on=match_on,
        treatments=treatments,
        confidence=confidence,
        adjust=adjust,
    )


def _configurations(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The distinct rows of ``columns`` (one empty row when there are none)."""
    if not columns:
        return pd.DataFrame(index=[0])
    return frame[columns].drop_duplicates()


def _value_set(frame: pd.DataFrame, name: str) -> set[Any]:
    if name not in frame.columns:
        return {"\0missing"}
    return {_key(v) for v in frame[name].tolist()}


def _stack(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    dims = list(dict.fromkeys([*dimensions_of(a), *dimensions_of(b)]))
    frame = pd.concat([a.assign(run=a["run_id"]), b.assign(run=b["run_id"])], ignore_index=True)
    frame.attrs["dimensions"] = tuple(dims)
    return frame
