"""sweeplib.designs: designs drawn by scipy.stats.qmc and SALib, mapped onto factors,
reproducible, and turned into requests the API validates."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol
from scipy.stats import qmc

from sweeplib.contracts import parse_sweep_request
from sweeplib.designs import (
    KINDS,
    Categorical,
    Range,
    make_design,
    parse_choice,
    parse_range,
    parse_set,
)
from sweeplib.errors import InvalidRequest
from sweeplib.planning import compute_shard_plan, request_point

FACTORS = (
    Range("commission_rate", 0.0, 0.3),
    Range("num_drivers", 50, 500, integer=True),
    Categorical("matching_algorithm_type", ("simple", "hungarian")),
)
UNIT_PROBLEM = {"num_vars": 3, "names": [f.name for f in FACTORS], "bounds": [[0.0, 1.0]] * 3}


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "grid"])
def test_every_kind_is_reproducible_from_its_seed(kind):
    one = make_design(kind, FACTORS, samples=8, seed=5)
    assert one.points == make_design(kind, FACTORS, samples=8, seed=5).points
    assert one.points != make_design(kind, FACTORS, samples=8, seed=6).points
    assert one.provenance["seed"] == 5 and one.provenance["kind"] == kind


def test_quasi_random_designs_are_the_libraries_own_points():
    sobol = make_design("sobol", FACTORS, samples=16, seed=3)
    expected = qmc.Sobol(d=3, scramble=True, rng=np.random.default_rng(3)).random(16)
    np.testing.assert_array_equal(sobol.unit, expected)
    assert sobol.provenance["balanced"] is True
    assert make_design("sobol", FACTORS, samples=10, seed=3).provenance["balanced"] is False
    halton = make_design("halton", FACTORS, samples=7, seed=3)
    expected = qmc.Halton(d=3, scramble=True, rng=np.random.default_rng(3)).random(7)
    np.testing.assert_array_equal(halton.unit, expected)


def test_saltelli_and_morris_keep_salibs_sizes_and_order():
    saltelli = make_design("saltelli", FACTORS, samples=8, seed=2)
    assert len(saltelli) == 8 * (3 + 2)
    expected = salib_sobol.sample(dict(UNIT_PROBLEM), 8, calc_second_order=False, seed=2)
    np.testing.assert_array_equal(saltelli.unit, expected)
    assert saltelli.provenance["salib_problem"] == UNIT_PROBLEM
    second = make_design("saltelli", FACTORS, samples=8, seed=2, second_order=True)
    assert len(second) == 8 * (2 * 3 + 2) and second.provenance["calc_second_order"] is True
    morris = make_design("morris", FACTORS, samples=5, seed=2)
    assert len(morris) == 5 * (3 + 1)
    np.testing.assert_array_equal(
        morris.unit, salib_morris.sample(dict(UNIT_PROBLEM), 5, num_levels=4, seed=2)
    )
    # Row d of the design is design point d: the order SALib's analyzers expect.
    column = [point["commission_rate"] for point in saltelli.points]
    assert column == pytest.approx(list(saltelli.unit[:, 0] * 0.3))


def test_latin_hypercube_puts_one_point_in_every_stratum():
    design = make_design("lhs", FACTORS, samples=20, seed=9)
    for j in range(3):
        strata = np.floor(design.unit[:, j] * 20).astype(int)
        assert sorted(strata) == list(range(20))


def test_factors_map_the_unit_cube_onto_their_values():
    u = np.array([0.0, 0.2499, 0.25, 0.5, 0.9999, 1.0])
    assert Range("num_drivers", 1, 4, integer=True).values(u) == [1, 1, 2, 3, 4, 4]
    assert Range("commission_rate", 0.1, 0.3).values(np.array([0.0, 0.5, 1.0])) == pytest.approx(
        [0.1, 0.2, 0.3]
    )
    log = Range("base_fare", 1.0, 100.0, scale="log").values(np.array([0.0, 0.5, 1.0]))
    assert log == pytest.approx([1.0, 10.0, 100.0])
    picks = Categorical("traffic_profile", ("none", "berlin")).values(np.array([0.1, 0.6, 1.0]))
    assert picks == ["none", "berlin", "berlin"]
    values = Range("num_drivers", 10, 1000, scale="log", integer=True).values(
        np.random.default_rng(1).random(5000)
    )
    assert all(isinstance(v, int) and 10 <= v <= 1000 for v in values)
    assert statistics.median(values) == pytest.approx(math.sqrt(10 * 1001), rel=0.1)


def test_a_grid_travels_as_dimensions_and_other_kinds_as_points():
    grid = make_design("grid", FACTORS, levels=3, fixed={"match_radius": 5})
    body = grid.request("g1")
    assert body["dimensions"] == {
        "commission_rate": [0.0, 0.15, 0.3],
        "num_drivers": [50, 275, 500],
        "matching_algorithm_type": ["simple", "hungarian"],
        "match_radius": [5],
    }
    request = parse_sweep_request(body)
    assert request.total_points == len(grid) == 18 and request.design_kind == "grid"
    # The design's own point list is the grid's decode order.
    assert [request_point(request, i).values for i in range(18)] == grid.points
    lhs = make_design("lhs", FACTORS, samples=6, fixed={"match_radius": 5}, seed=1)
    body = lhs.request("l1", replications=3, seeding="common", seed=9, shard_size=4)
    request = parse_sweep_request(body)
    assert "dimensions" not in body and request.points is not None
    assert request.total_points == 18 and compute_shard_plan(request).shard_count == 5
    assert request.design["kind"] == "lhs" and request.design_kind == "lhs"
    assert [request_point(request, 3 * d).values for d in range(6)] == lhs.points
    assert all(point["match_radius"] == 5 for point in lhs.points)


def test_default_shards_aim_at_a_thousand():
    design = make_design("random", FACTORS, samples=5000, seed=1)
    plan = compute_shard_plan(parse_sweep_request(design.request("big", replications=3)))
    assert plan.shard_count == 1000


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (lambda: Range("speed", 0, 1), "dimensions.speed", "unknown dimension"),
        (lambda: Range("commission_rate", 0, 2), "commission_rate", "high bound must be in [0, 1]"),
        (lambda: Range("commission_rate", 0.3, 0.1), "commission_rate", "low must be below high"),
        (lambda: Range("base_fare", 0, 10, scale="log"), "base_fare", "log scale needs low > 0"),
        (lambda: Range("num_drivers", 1.5, 10, integer=True), "num_drivers", "must be whole"),
        (lambda: Range("num_drivers", -5, 10, integer=True), "num_drivers", "low bound"),
        (lambda: Range("traffic_profile", 0, 1), "traffic_profile", "low bound must be one of"),
        (lambda: Range("num_drivers", 50, 501), "num_drivers", "integer range (LO:HI:int)"),
        (lambda: Categorical("traffic_profile", ("none", "paris")), "traffic_profile", "choice"),
        (lambda: Categorical("traffic_profile", ()), "traffic_profile", "at least one choice"),
        (lambda: make_design("tesseract", FACTORS, samples=2), "kind", "must be one of"),
        (lambda: make_design("lhs", FACTORS), "samples", "is required"),
        (lambda: make_design("lhs", FACTORS, samples=0), "samples", "≥ 1"),
        (lambda: make_design("lhs", (), samples=2), "factors", "at least one"),
        (lambda: make_design("morris", FACTORS, samples=2, levels=5), "levels", "even"),
        (
            lambda: make_design("lhs", FACTORS, samples=2, fixed={"num_drivers": 5}),
            "num_drivers",
            "both varied and fixed",
        ),
        (
            lambda: make_design("lhs", FACTORS * 2, samples=2),
            "commission_rate",
            "varied twice",
        ),
        (
            lambda: make_design("lhs", FACTORS, samples=2, fixed={"match_radius": -1}),
            "match_radius",
            "fixed value",
        ),
    ],
)
def test_bad_designs_name_the_factor_or_argument(build, field, reason):
    with pytest.raises(InvalidRequest) as info:
        build()
    assert info.value.field == field
    assert reason in info.value.reason


def test_the_compact_forms():
    assert parse_range("num_drivers=50:500:int") == Range("num_drivers", 50, 500, integer=True)
    assert parse_range("base_fare = 1:100:log") == Range("base_fare", 1, 100, scale="log")
    assert parse_choice("matching_algorithm_type=simple,hungarian").choices == (
        "simple",
        "hungarian",
    )
    assert parse_choice("base_speed_kmh=null,30").choices == (None, 30)
    assert parse_set("match_radius=5") == ("match_radius", 5)
    assert parse_set("traffic_profile=berlin") == ("traffic_profile", "berlin")
    for text, reason in [
        ("num_drivers", "expected NAME=LO:HI"),
        ("num_drivers=5", "expected LO:HI"),
        ("num_drivers=5:x", "high bound 'x' is not a number"),
        ("num_drivers=5:9:cubic", "unknown option 'cubic'"),
        ("commission_rate=NaN:1", "bounds must be finite"),
    ]:
        with pytest.raises(InvalidRequest, match=reason):
            parse_range(text)


def test_a_notebook_design_parameter_builds_the_same_design_as_the_command_line():
    from sweeplib.analysis import build_request
    from sweeplib.designs import design_from_spec

    spec = {
        "kind": "sobol",
        "samples": 8,
        "seed": 3,
        "ranges": {"commission_rate": "0:0.3", "num_drivers": "50:500:int"},
        "choices": {"traffic_profile": ["none", "berlin"]},
        "fixed": {"match_radius": 5},
    }
    factors = [
        parse_range("commission_rate=0:0.3"),
        parse_range("num_drivers=50:500:int"),
        Categorical("traffic_profile", ("none", "berlin")),
    ]
    expected = make_design("sobol", factors, samples=8, seed=3, fixed={"match_radius": 5})
    assert design_from_spec(spec).points == expected.points
    request = build_request("nb", design=spec, replications=2, shard_size=4)
    assert request.design_points == 8 and request.total_points == 16
    assert request.points is not None and request.points.to_json_list() == expected.points


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"kind": "lhs", "samples": 4, "ranges": {"commission_rate": "0:2"}},
         "design.commission_rate"),
        ({"kind": "lhs", "samples": 4, "ranges": {"speed": "0:1"}}, "design.speed"),
        ({"kind": "lhs", "samples": 4, "choices": {"traffic_profile": "none"}},
         "design.choices.traffic_profile"),
        ({"kind": "lhs", "samples": 4, "colour": 1}, "design.colour"),
        ({"kind": "lhs", "ranges": {"commission_rate": "0:1"}}, "design.samples"),
        ({"kind": "cube", "ranges": {"commission_rate": "0:1"}}, "design.kind"),
        ({"kind": "lhs", "samples": 4, "ranges": []}, "design.ranges"),
    ],
)  # fmt: skip
def test_bad_design_parameters_name_the_key(spec, field):
    from sweeplib.designs import design_from_spec

    with pytest.raises(InvalidRequest) as info:
        design_from_spec(spec)
    assert info.value.field == field


def test_a_notebook_gives_dimensions_or_a_design_not_both():
    from sweeplib.analysis import build_request

    with pytest.raises(InvalidRequest, match="not both"):
        build_request("x", {"num_riders": [1]}, design={"kind": "grid"}, shard_size=1)
    with pytest.raises(InvalidRequest, match="give dimensions"):
        build_request("x", shard_size=1)
