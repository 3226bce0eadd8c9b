"""DESIGN §3.6: replications, seeding, explicit points and design provenance — parsed,
fingerprinted, planned into messages and decoded back into the same points."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest

from sweeplib.contracts import (
    Limits,
    ShardMessage,
    canonical_json,
    parse_sweep_request,
    parse_sweep_request_json,
)
from sweeplib.errors import InvalidRequest, InvalidShardMessage, PlanTooLarge
from sweeplib.planning import (
    compute_shard_plan,
    point_seed,
    request_point,
    shard_messages,
    shard_points,
)

GRID = {"commission_rate": [0.1, 0.2], "num_drivers": [50, 60, 70]}
GRID_POINTS = [
    {"commission_rate": rate, "num_drivers": drivers}
    for rate, drivers in itertools.product(GRID["commission_rate"], GRID["num_drivers"])
]
U64 = (1 << 64) - 1


def body(**fields):
    document = {"run_id": "ext", "dimensions": GRID, "shard_size": 2, "seed": 42}
    document.update(fields)
    return {key: value for key, value in document.items() if value is not None}


def points_body(points=None, **fields):
    return body(dimensions=None, points=GRID_POINTS if points is None else points, **fields)


def all_points(request):
    plan = compute_shard_plan(request)
    messages = list(shard_messages(request, plan, "2026-02-14"))
    decoded = [ShardMessage.from_json(message.to_json()) for message in messages]
    return [point for message in decoded for point in shard_points(message)]


# -- parsing -------------------------------------------------------------------------------------


def test_defaults_mean_what_a_request_meant_before_the_extensions():
    plain = parse_sweep_request(body())
    explicit = parse_sweep_request(body(replications=1, seeding="independent", design=None))
    assert plain == explicit
    assert plain.request_fingerprint == explicit.request_fingerprint
    assert "replications" not in plain.to_json_dict() and "points" not in plain.to_json_dict()
    assert [p.seed for p in all_points(plain)] == [point_seed(42, i) for i in range(6)]
    assert [(p.design_point, p.replicate) for p in all_points(plain)] == [(i, 0) for i in range(6)]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"replications": 0}, "replications", "must be ≥ 1"),
        ({"replications": 1001}, "replications", "1000"),
        ({"replications": "2"}, "replications", "must be an integer"),
        ({"replications": True}, "replications", "must be an integer"),
        ({"replications": 2.0}, "replications", "must be an integer"),
        ({"seeding": "crn"}, "seeding", "must be one of independent, common"),
        ({"seeding": 1}, "seeding", "must be one of"),
        ({"design": [1]}, "design", "must be an object"),
        ({"design": "sobol"}, "design", "must be an object"),
        ({"points": GRID_POINTS}, "points", "either dimensions (a grid) or points, not both"),
    ],
)
def test_bad_extension_values_name_the_field(fields, field, reason):
    with pytest.raises(InvalidRequest) as info:
        parse_sweep_request(body(**fields))
    assert info.value.field == field
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("points", "field", "reason"),
    [
        ([], "points", "non-empty list"),
        ({"commission_rate": 0.1}, "points", "non-empty list of objects"),
        ([1], "points[0]", "must be an object"),
        ([{}], "points[0]", "at least one dimension"),
        ([{"commission_rate": 0.1}, {"num_drivers": 5}], "points[1]", "every point must set"),
        (
            [{"commission_rate": 0.1}, {"commission_rate": 0.2, "num_drivers": 5}],
            "points[1]",
            "every point must set commission_rate",
        ),
        ([{"speed": 1}], "points[0].speed", "unknown dimension"),
        (
            [{"num_drivers": 1}, {"num_drivers": 2}, {"num_drivers": -3}],
            "points[2].num_drivers",
            "unsigned integer",
        ),
        ([{"commission_rate": 1.5}], "points[0].commission_rate", "must be in [0, 1]"),
        ([{"commission_rate": "0.1"}], "points[0].commission_rate", "must be a number"),
    ],
)
def test_bad_points_name_the_point_and_dimension(points, field, reason):
    with pytest.raises(InvalidRequest) as info:
        parse_sweep_request(points_body(points))
    assert info.value.field == field
    assert reason in info.value.reason


def test_a_request_needs_dimensions_or_points():
    with pytest.raises(InvalidRequest, match="dimensions: is required"):
        parse_sweep_request({"run_id": "x", "shard_size": 1})


def test_the_point_cap_applies_to_design_points_times_replications():
    limits = Limits(max_points=12)
    assert parse_sweep_request(body(replications=2), limits).total_points == 12
    with pytest.raises(PlanTooLarge) as info:
        parse_sweep_request(body(replications=3), limits)
    assert info.value.field == "dimensions"
    assert "18 points (commission_rate 2 × num_drivers 3 × 3 replications)" in info.value.reason
    with pytest.raises(PlanTooLarge) as info:
        parse_sweep_request(points_body(replications=3), limits)
    assert info.value.field == "points" and "6 design points × 3 replications" in info.value.reason


# -- fingerprints ---------------------------------------------------------------------------------


def test_fingerprints_cover_the_extensions_and_the_config_ignores_provenance():
    base = parse_sweep_request(body())
    replicated = parse_sweep_request(body(replications=2))
    common = parse_sweep_request(body(replications=2, seeding="common"))
    designed = parse_sweep_request(body(replications=2, design={"kind": "hand-picked"}))
    requests = (base, replicated, common, designed)
    assert len({r.request_fingerprint for r in requests}) == 4
    assert len({r.config_fingerprint for r in requests}) == 3
    assert designed.config_fingerprint == replicated.config_fingerprint
    points = parse_sweep_request(points_body())
    assert points.config_fingerprint != base.config_fingerprint
    # Key order inside points and design does not matter (canonical JSON).
    shuffled = [dict(reversed(list(point.items()))) for point in GRID_POINTS]
    again = parse_sweep_request(points_body(shuffled))
    assert again.request_fingerprint == points.request_fingerprint


def test_a_normalized_points_request_survives_its_json_round_trip():
    request = parse_sweep_request(
        points_body(replications=3, seeding="common", design={"kind": "lhs", "seed": 7})
    )
    document = request.to_json_dict()
    assert document["dimensions"] is None and document["design"] == {"kind": "lhs", "seed": 7}
    again = parse_sweep_request_json(canonical_json(document))
    assert again == request and again.request_fingerprint == request.request_fingerprint
    assert request.design_kind == "lhs" and request.design_points == 6
    assert parse_sweep_request(points_body()).design_kind == "points"
    assert parse_sweep_request(body()).design_kind == "grid"


# -- the point mapping ----------------------------------------------------------------------------


def test_replicates_are_neighbours_and_seeds_follow_the_seeding_mode():
    independent = all_points(parse_sweep_request(body(replications=3)))
    assert [(p.index, p.design_point, p.replicate) for p in independent[:4]] == [
        (0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 1, 0),
    ]  # fmt: skip
    assert [p.seed for p in independent] == [42 ^ i for i in range(18)]
    assert all(p.values == GRID_POINTS[p.design_point] for p in independent)
    common = all_points(parse_sweep_request(body(replications=3, seeding="common")))
    assert [p.seed for p in common] == [42 ^ (i % 3) for i in range(18)]
    # Common random numbers: every design point's replicate r shares its seed.
    assert {p.seed for p in common if p.replicate == 1} == {42 ^ 1}


def test_negative_seeds_wrap_under_either_seeding():
    common = all_points(parse_sweep_request(body(seed=-1, replications=2, seeding="common")))
    assert [p.seed for p in common[:2]] == [U64, U64 ^ 1]


def test_a_points_request_of_the_grid_gives_the_grids_points():
    """Both paths to the kernel end in the same per-point values and seeds."""
    for fields in ({}, {"replications": 2}, {"replications": 2, "seeding": "common"}):
        grid = all_points(parse_sweep_request(body(**fields)))
        explicit = all_points(parse_sweep_request(points_body(**fields)))
        assert grid == explicit


def test_request_point_agrees_with_the_messages_for_every_index():
    request = parse_sweep_request(points_body(replications=4, seeding="common", shard_size=5))
    assert [request_point(request, i) for i in range(24)] == all_points(request)
    with pytest.raises(IndexError):
        request_point(request, 24)


# -- messages -------------------------------------------------------------------------------------


def test_a_grid_message_without_extensions_is_byte_for_byte_the_old_one():
    request = parse_sweep_request(body())
    message = next(shard_messages(request, compute_shard_plan(request), "2026-02-14"))
    document = json.loads(message.to_json())
    assert sorted(document) == sorted(
        [
            "schema_version", "run_id", "run_date", "request_fingerprint", "dimensions",
            "total_points", "shard_id", "start_index", "end_index_exclusive", "seed",
            "failure_injection_shards",
        ]
    )  # fmt: skip


def test_a_points_message_carries_only_the_design_points_of_its_range():
    many = [{"num_drivers": n} for n in range(100)]
    request = parse_sweep_request(points_body(many, replications=3, shard_size=7))
    plan = compute_shard_plan(request)
    messages = list(shard_messages(request, plan, "2026-02-14"))
    assert len(messages) == 43  # 300 points
    third = json.loads(messages[2].to_json())  # points 14–20: design points 4–6
    assert third["dimensions"] is None and third["replications"] == 3
    assert third["points"] == {
        "offset": 4,
        "names": ["num_drivers"],
        "rows": [[4], [5], [6]],
    }
    sizes = [len(m.to_json()) for m in messages]
    assert max(sizes) < 800  # never the whole design


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["points"].update(offset=3), "points"),
        (lambda d: d["points"]["rows"].pop(), "points"),
        (lambda d: d["points"].update(names=["NUM_DRIVERS"]), "points.rows[0].NUM_DRIVERS"),
        (lambda d: d["points"]["rows"][0].__setitem__(0, -1), "points.rows[0].num_drivers"),
        (lambda d: d["points"].update(extra=1), "points"),
        (lambda d: d.update(replications=0), "replications"),
        (lambda d: d.update(seeding="same"), "seeding"),
        (lambda d: d.update(total_points=301), "total_points"),
        (lambda d: d.update(dimensions={"num_drivers": [1]}), "points"),
    ],
)
def test_tampered_points_messages_are_refused_naming_the_field(change, field):
    many = [{"num_drivers": n} for n in range(100)]
    request = parse_sweep_request(points_body(many, replications=3, shard_size=7))
    message = list(shard_messages(request, compute_shard_plan(request), "2026-02-14"))[2]
    document = json.loads(message.to_json())
    change(document)
    with pytest.raises(InvalidShardMessage) as info:
        ShardMessage.from_dict(document)
    assert info.value.field == field


def test_a_points_plan_whose_messages_exceed_the_queue_cap_names_the_shard_size():
    many = [{"num_drivers": n, "commission_rate": 0.123456789} for n in range(2000)]
    request = parse_sweep_request(points_body(many, shard_size=2000))
    with pytest.raises(PlanTooLarge) as info:
        compute_shard_plan(request, Limits(max_message_bytes=10_000))
    assert info.value.field == "shard_size"
    assert "carries 2000 points" in info.value.reason
    smaller = dataclasses.replace(request, shard_size=100)
    assert compute_shard_plan(smaller, Limits(max_message_bytes=10_000)).shard_count == 20
