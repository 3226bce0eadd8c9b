"""Sensitivity analysis of a sampled design with SALib: which dimensions matter.

* **Saltelli** designs: Sobol' first-order (``S1``) and total (``ST``) indices with
  bootstrap confidence intervals (``SALib.analyze.sobol``);
* **Morris** designs: ``mu_star`` (mean absolute elementary effect, in metric units per
  full range of the factor) and ``sigma`` (spread: non-linearity or interactions)
  (``SALib.analyze.morris``);
* **any sampled design but Morris** (random, lhs, sobol, halton, saltelli): the
  moment-independent ``delta`` index and a model-free ``S1`` estimate
  (``SALib.analyze.delta``; Morris points sit on a few grid levels, too coarse for it).

The metric of each design point is its mean over replicates; the design's unit-cube
matrix is drawn again from the run's ``design`` provenance
(:func:`sweeplib.designs.design_from_provenance`), so the analysis sees exactly the
matrix the points were mapped from.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.designs import design_from_provenance
from sweeplib.errors import InvalidRequest

__all__ = ["SENSITIVITY_COLUMNS", "sensitivity_indices"]

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
    model_free: bool = True,
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
        Also compute ``delta`` and the model-free ``S1`` (any sampled design but Morris).

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
    if model_free and kind != "morris":  # Morris points sit on a few levels: no density
        from SALib.analyze import delta

        notices = io.StringIO()  # SALib prints bin-merge notices
        with (
            contextlib.redirect_stdout(notices),
            contextlib.redirect_stderr(notices),
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message=".*Bin Merge Notice.*")
            result = delta.analyze(
                dict(problem), drawn.unit, y, conf_level=confidence, seed=seed, num_resamples=50
            )
        # SALib ≥ 1.5 reports the bias-corrected ("balanced") delta; older ones "delta".
        key = "delta_balanced" if "delta_balanced" in result else "delta"
        rows += _rows(names, "delta", "delta", result[key], result[f"{key}_conf"])
        rows += _rows(names, "delta", "S1", result["S1"], result["S1_conf"])
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
