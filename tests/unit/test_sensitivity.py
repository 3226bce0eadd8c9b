"""Sensitivity analysis with SALib on designs whose answer is known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sweeplib.analysis import SENSITIVITY_COLUMNS, sensitivity_indices
from sweeplib.designs import Range, design_from_provenance, make_design
from sweeplib.errors import InvalidRequest

FACTORS = (Range("commission_rate", 0.0, 1.0), Range("base_fare", 0.0, 10.0))


def frame_for(design, replicates=2, noise=0.0):
    """The metric depends on the first factor only (the second is ignored)."""
    rng = np.random.default_rng(0)
    u = design.unit
    metric = 3.0 * u[:, 0] + 0.2 * np.sin(6.0 * u[:, 0])
    rows = {
        "design_point": np.repeat(np.arange(len(design)), replicates),
        "m": np.repeat(metric, replicates) + noise * rng.normal(size=len(design) * replicates),
    }
    return pd.DataFrame(rows)


def index(table, method, name, factor):
    row = table[(table.method == method) & (table["index"] == name) & (table.factor == factor)]
    assert len(row) == 1
    return row.iloc[0]


def test_a_redrawn_design_is_the_design_that_ran():
    design = make_design("saltelli", FACTORS, samples=16, seed=4)
    again = design_from_provenance(design.provenance)
    assert again.points == design.points
    np.testing.assert_array_equal(again.unit, design.unit)


def test_sobol_indices_of_a_saltelli_design_find_the_ignored_factor():
    design = make_design("saltelli", FACTORS, samples=256, seed=1)
    table = sensitivity_indices(frame_for(design, noise=0.01), design.provenance, "m", seed=1)
    assert list(table.columns) == list(SENSITIVITY_COLUMNS)
    assert index(table, "sobol", "S1", "commission_rate").value > 0.9
    assert index(table, "sobol", "ST", "commission_rate").value > 0.9
    ignored = index(table, "sobol", "ST", "base_fare")
    assert abs(ignored.value) < 0.02 and ignored.ci_low <= 0.0 + 0.02
    first = index(table, "sobol", "S1", "commission_rate")
    assert first.ci_low <= first.value <= first.ci_high


def test_morris_mu_star_is_the_effect_per_range_and_zero_for_the_ignored_factor():
    design = make_design("morris", FACTORS, samples=30, seed=2)
    table = sensitivity_indices(frame_for(design), design.provenance, "m", seed=2)
    assert index(table, "morris", "mu_star", "base_fare").value == 0.0
    assert index(table, "morris", "mu_star", "commission_rate").value == pytest.approx(3.0, abs=0.4)


def test_the_model_free_estimate_works_on_any_sampled_design():
    design = make_design("lhs", FACTORS, samples=512, seed=3)
    table = sensitivity_indices(frame_for(design), design.provenance, "m", seed=3)
    assert set(table.method) == {"rbd_fast"}
    assert index(table, "rbd_fast", "S1", "commission_rate").value > 0.8
    assert index(table, "rbd_fast", "S1", "base_fare").value < 0.1


def test_the_delta_measure_on_request():
    design = make_design("lhs", FACTORS, samples=256, seed=3)
    table = sensitivity_indices(
        frame_for(design), design.provenance, "m", seed=3, model_free="delta"
    )
    assert set(table.method) == {"delta"}
    assert index(table, "delta", "S1", "commission_rate").value > 0.8
    assert index(table, "delta", "S1", "base_fare").value < 0.1
    assert (
        index(table, "delta", "delta", "commission_rate").value
        > index(table, "delta", "delta", "base_fare").value
    )
    with pytest.raises(InvalidRequest) as error:
        sensitivity_indices(frame_for(design), design.provenance, "m", model_free="sobol")
    assert error.value.field == "model_free"


def test_refusals_name_the_problem():
    design = make_design("saltelli", FACTORS, samples=8, seed=1)
    frame = frame_for(design)
    with pytest.raises(InvalidRequest, match="needs a sampled design"):
        sensitivity_indices(frame, {"kind": "grid"}, "m")
    with pytest.raises(InvalidRequest, match="unknown metric 'x'"):
        sensitivity_indices(frame, design.provenance, "x")
    with pytest.raises(InvalidRequest, match="2 of 32 design points have no result"):
        sensitivity_indices(frame[frame.design_point > 1], design.provenance, "m")
    with pytest.raises(InvalidRequest, match="constant"):
        sensitivity_indices(frame.assign(m=1.0), design.provenance, "m")
