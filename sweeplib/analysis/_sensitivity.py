"""Sensitivity analysis of a sampled design with SALib: which dimensions matter.

* **Saltelli** designs: Sobol' first-order (``S1``) and total (``ST``) indices with
  bootstrap confidence intervals (``SALib.analyze.sobol``);
* **Morris** designs: ``mu_star`` (mean absolute elementary effect, in metric units per
  full range of the factor) and ``sigma`` (spread: non-linearity or interactions)
  (``SALib.analyze.morris``);
* **any sampled design but Morris** (random, lhs, sobol, halton, saltelli): a model-free
  first-order index, RBD-FAST's ``S1`` (``SALib.analyze.rbd_fast``; seconds on 200,000
  points) by default, or on request the moment-independent ``delta`` and its ``S1``
  (``SALib.analyze.delta``: minutes already on a few thousand points). Morris points sit
  on a few grid levels, too coarse for either.

The metric of each design point is its mean over replicates; the design's unit-cube
matrix is drawn again from the run's ``design`` provenance
(:func:`sweeplib.designs.design_from_provenance`), so the analysis sees exactly the
matrix the points were mapped from.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.designs import design_from_provenance
from sweeplib.errors import InvalidRequest

__all__ = [
    "SAMPLED_KINDS",
    "SENSITIVITY_COLUMNS",
    "Sensitivity",
    "run_design",
    "sensitivity_indices",
    "sensitivity_report",
]

#: The model-free measures :func:`sensitivity_indices` adds (``None``: none).
MODEL_FREE: Final = ("rbd_fast", "delta", None)
ModelFree = Literal["rbd_fast", "delta"] | None

#: Design kinds sensitivity analysis applies to (sampled, with a unit-cube matrix).
SAMPLED_KINDS: Final = ("random", "lhs", "sobol", "halton", "saltelli", "morris")

#: The columns of :func:`sensitivity_indices`' table.
SENSITIVITY_COLUMNS = ("factor", "method", "index", "value", "ci_low", "ci_high")


def _design_means(frame: pd.DataFrame, metric: str, design_points: int) -> np.ndarray:
    if metric not in frame.columns:
        raise InvalidRequest("metric", f"unknown metric {metric!r}; columns: {sorted(frame)}")
    if "design_point" not in frame.columns:
        raise InvalidRequest("frame", "needs a design_point column (the run's points table)")
    means = frame.groupby("design_point")[metric].mean()
    missing = sorted(set(range(design_points)) - set(int(d) for d in means.index))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise InvalidRequest(
            "frame",
            f"{len(missing)} of {design_points} design points have no result ({shown}); "
            "Saltelli and Morris estimates need every point: rerun the failed shards",
        )
    values: np.ndarray = means.reindex(range(design_points)).to_numpy(dtype=float)
    return values


def _rows(names: list[str], method: str, index: str, values: Any, conf: Any) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for name, value, half in zip(names, values, conf, strict=True):
        rows.append(
            {
                "factor": name,
                "method": method,
                "index": index,
                "value": float(value),
                "ci_low": float(value - half),
                "ci_high": float(value + half),
            }
        )
    return rows


def sensitivity_indices(
    frame: pd.DataFrame,
    design: Mapping[str, Any],
    metric: str,
    *,
    confidence: float = 0.95,
    seed: int = 0,
    model_free: ModelFree = "rbd_fast",
) -> pd.DataFrame:
    """Sensitivity indices of ``metric`` over the factors of a sampled design.

    Parameters
    ----------
    frame
        One row per point with ``design_point`` and the metric (a run's points table,
        replicates included: they are averaged per design point).
    design
        The run's ``design`` provenance (the request's ``design`` object).
    metric
        The column to analyse.
    confidence
        Level of the bootstrap intervals.
    seed
        Seeds SALib's bootstrap (reproducible intervals).
    model_free
        The model-free measure added for any sampled design but Morris: ``"rbd_fast"``
        (RBD-FAST ``S1``), ``"delta"`` (delta and its ``S1``; slow), or ``None``.

    Returns
    -------
    pandas.DataFrame
        :data:`SENSITIVITY_COLUMNS`, one row per factor and index.

    Raises
    ------
    InvalidRequest
        A grid or hand-made design (nothing to analyse), an unknown metric, or design
        points without a result.
    """
    kind = design.get("kind")
    if kind in (None, "grid", "points", "hand-picked"):
        raise InvalidRequest("design", f"sensitivity analysis needs a sampled design, got {kind!r}")
    drawn = design_from_provenance(design)
    names = list(drawn.names)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    y = _design_means(frame, metric, len(drawn))
    if np.ptp(y) == 0:
        raise InvalidRequest(
            "metric", f"{metric} is constant over the design: nothing to apportion"
        )
    rows: list[dict] = []  # type: ignore[type-arg]
    if kind == "saltelli":
        from SALib.analyze import sobol

        result = sobol.analyze(
            dict(problem),
            y,
            calc_second_order=bool(design.get("calc_second_order", False)),
            conf_level=confidence,
            seed=seed,
        )
        rows += _rows(names, "sobol", "S1", result["S1"], result["S1_conf"])
        rows += _rows(names, "sobol", "ST", result["ST"], result["ST_conf"])
    elif kind == "morris":
        from SALib.analyze import morris

        result = morris.analyze(
            dict(problem),
            drawn.unit,
            y,
            conf_level=confidence,
            num_levels=int(design.get("num_levels", 4)),
            seed=seed,
        )
        rows += _rows(names, "morris", "mu_star", result["mu_star"], result["mu_star_conf"])
        zeros = np.zeros(len(names))
        rows += _rows(names, "morris", "sigma", result["sigma"], zeros)
    if model_free not in MODEL_FREE:
        raise InvalidRequest("model_free", f"must be one of {MODEL_FREE}, got {model_free!r}")
    if model_free == "rbd_fast" and kind != "morris":  # Morris points: a few levels only
        from SALib.analyze import rbd_fast

        result = rbd_fast.analyze(
            dict(problem), drawn.unit, y, conf_level=confidence, seed=seed, num_resamples=100
        )
        rows += _rows(names, "rbd_fast", "S1", result["S1"], result["S1_conf"])
    elif model_free == "delta" and kind != "morris":
        from SALib.analyze import delta

        notices = io.StringIO()  # SALib prints bin-merge notices
        with (
            contextlib.redirect_stdout(notices),
            contextlib.redirect_stderr(notices),
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message=".*Bin Merge Notice.*")
            warnings.filterwarnings("ignore", message=".*Potential Bias Notice.*")
            result = delta.analyze(
                dict(problem), drawn.unit, y, conf_level=confidence, seed=seed, num_resamples=50
            )
        # SALib ≥ 1.5 reports the bias-corrected ("balanced") delta; older ones "delta".
        key = "delta_balanced" if "delta_balanced" in result else "delta"
        rows += _rows(names, "delta", "delta", result[key], result[f"{key}_conf"])
        rows += _rows(names, "delta", "S1", result["S1"], result["S1_conf"])
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


@dataclass(frozen=True)
class Sensitivity:
    """Sensitivity indices of several metrics over one run's sampled design.

    Attributes
    ----------
    kind : str
        The design kind (``saltelli``, ``morris``, ``lhs`` …).
    factors : tuple of str
        The design's factors.
    table : pandas.DataFrame
        ``metric`` then :data:`SENSITIVITY_COLUMNS`, one row per metric, factor and index.
    skipped : dict
        Metric → why it has no indices (constant over the design, …).
    confidence : float
    notes : tuple of str
        What the reader must know, e.g. that the points ran on independent seeds (then
        simulation noise is apportioned to the factors too).
    """

    kind: str
    factors: tuple[str, ...]
    table: pd.DataFrame
    skipped: Mapping[str, str]
    confidence: float
    notes: tuple[str, ...] = ()

    @property
    def metrics(self) -> list[str]:
        """The metrics with indices, in order."""
        return list(dict.fromkeys(self.table["metric"]))

    def indices(self, metric: str) -> pd.DataFrame:
        """The rows of one metric (:data:`SENSITIVITY_COLUMNS`)."""
        return self.table[self.table["metric"] == metric][list(SENSITIVITY_COLUMNS)]

    def wide(self) -> pd.DataFrame:
        """One row per metric and factor, one column per method and index (values only)."""
        if self.table.empty:
            return pd.DataFrame()
        wide = self.table.pivot_table(
            index=["metric", "factor"], columns=["method", "index"], values="value", sort=False
        )
        wide.columns = [f"{method} {index}" for method, index in wide.columns]
        return wide.reset_index()

    def headline(self) -> str:
        """Markdown: the design, and per metric the factor that matters most."""
        lines = [
            f"**{self.kind} design** over {', '.join(f'`{f}`' for f in self.factors)}; "
            f"{self.confidence:.0%} bootstrap intervals."
        ]
        main = {"saltelli": ("sobol", "ST"), "morris": ("morris", "mu_star")}.get(
            self.kind, ("rbd_fast", "S1")
        )
        for metric in dict.fromkeys(self.table["metric"]):
            part = self.table[
                (self.table["metric"] == metric)
                & (self.table["method"] == main[0])
                & (self.table["index"] == main[1])
            ].sort_values("value", ascending=False)
            ranked = ", ".join(f"{r.factor} {r.value:.3g}" for r in part.itertuples())
            lines.append(f"`{metric}` by {main[0]} {main[1]}: {ranked}.")
        for metric, why in self.skipped.items():
            lines.append(f"`{metric}` skipped: {why}.")
        lines.extend(f"**Note**: {note}" for note in self.notes)
        return "  \n".join(lines)


def sensitivity_report(
    frame: pd.DataFrame,
    design: Mapping[str, Any],
    metrics: Sequence[str] | str | None = None,
    *,
    confidence: float = 0.95,
    seed: int = 0,
    model_free: ModelFree = "rbd_fast",
) -> Sensitivity:
    """:func:`sensitivity_indices` of every chosen metric of a run's points (``model_free``
    as there).

    A metric that is constant over the design (nothing to apportion) is skipped and said
    so in :attr:`Sensitivity.skipped`; a design point without a result is an error.

    Raises
    ------
    InvalidRequest
        A design that is not sampled, an unknown metric, missing design points.
    """
    from sweeplib.analysis._points import check_metrics

    kind = str(design.get("kind"))
    if kind not in SAMPLED_KINDS:
        raise InvalidRequest(
            "design",
            f"sensitivity analysis needs a sampled design ({', '.join(SAMPLED_KINDS)}), "
            f"got {kind!r}; a grid's effects are in the run report",
        )
    chosen = check_metrics(frame, metrics)
    tables, skipped = [], {}
    for metric in chosen:
        values = frame[metric].dropna()
        if values.empty or values.nunique() == 1:
            skipped[metric] = "constant over the design"
            continue
        table = sensitivity_indices(
            frame, design, metric, confidence=confidence, seed=seed, model_free=model_free
        )
        table.insert(0, "metric", metric)
        tables.append(table)
    table = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame({name: [] for name in ("metric", *SENSITIVITY_COLUMNS)})
    )
    factors = tuple(design_from_provenance(design).names)
    notes = []
    if "seed" in frame.columns and "replicate" in frame.columns:
        seeds_per_replicate = frame.groupby("replicate")["seed"].nunique()
        if (seeds_per_replicate > 1).any():
            notes.append(
                "the design points ran on different seeds (seeding 'independent'), so "
                "simulation noise is apportioned to the factors as well; run the design "
                "with seeding 'common' (common random numbers) for the factors' own indices."
            )
    return Sensitivity(kind, factors, table, skipped, confidence, tuple(notes))


def run_design(
    run_id: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    bucket: str | None = None,
    boto3_session: Any = None,
) -> Mapping[str, Any]:
    """The ``design`` provenance of a run, from its submission record: in a local
    ``data_dir``, or in the results ``bucket`` (S3).

    Raises
    ------
    InvalidRequest
        Neither or both places given, no such run there, or a run without a design
        (a plain grid or hand-made points).
    """
    from sweeplib.errors import ObjectNotFound
    from sweeplib.submissions import load_submission

    if (data_dir is None) == (bucket is None):
        raise InvalidRequest("data_dir", "give the local data_dir or the results bucket")
    if data_dir is not None:
        from sweeplib.analysis._inputs import resolve_data_dir
        from sweeplib.storage import LocalObjectStore

        data_dir = resolve_data_dir(data_dir)  # relative: under the project root, as everywhere
        store: Any = LocalObjectStore(data_dir)
        where = str(data_dir)
    else:
        assert bucket is not None
        from sweeplib.storage.s3 import S3ObjectStore

        store = S3ObjectStore(bucket, session=boto3_session)
        where = f"s3://{bucket}"
    try:
        request = load_submission(store, run_id).request
    except ObjectNotFound:
        raise InvalidRequest("run_id", f"no run {run_id!r} was accepted in {where}") from None
    if request.design is None:
        raise InvalidRequest(
            "run_id", f"run {run_id!r} has no sampled design ({request.design_kind})"
        )
    return dict(request.design)
