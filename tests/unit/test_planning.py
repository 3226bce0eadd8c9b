"""Shard plans, the point mapping, per-point seeds and shard messages (DESIGN §3.3)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sweeplib.contracts import (
    Limits,
    Provenance,
    ShardMessage,
    SweepRequest,
    config_fingerprint,
    parse_sweep_request,
    parse_sweep_request_json,
    request_fingerprint,
)
from sweeplib.dispatch import MAX_MESSAGE_BYTES
from sweeplib.errors import InvalidRequest, PlanTooLarge
from sweeplib.planning import (
    ShardRange,
    compute_shard_plan,
    point_index,
    point_seed,
    point_values,
    run_context_record,
    shard_messages,
    total_points,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
DEMO = parse_sweep_request_json((FIXTURES / "demo-run-001.json").read_text(encoding="utf-8"))


def request(dimensions=None, **fields) -> SweepRequest:
    body = {"run_id": "plan-test", "dimensions": dimensions or {"num_riders": list(range(10))}}
    body.update(fields)
    return parse_sweep_request(body)


# -- shard plans --------------------------------------------------------------------------------


def test_the_runbook_plan_is_four_shards_of_two():
    plan = compute_shard_plan(DEMO)
    assert (plan.total_points, plan.shard_count, plan.max_shards) == (8, 4, 1000)
    assert plan.shard_strategy == "explicit_shard_count"
    assert plan.shards == (
        ShardRange(0, 0, 2),
        ShardRange(1, 2, 4),
        ShardRange(2, 4, 6),
        ShardRange(3, 6, 8),
    )


def test_the_first_remainder_shards_get_one_extra_point():
    plan = compute_shard_plan(request(shard_count=4))  # 10 points
    assert [(s.start_index, s.end_index_exclusive) for s in plan.shards] == [
        (0, 3),
        (3, 6),
        (6, 8),
        (8, 10),
    ]
    assert [s.size for s in plan.shards] == [3, 3, 2, 2]


def test_shard_count_is_capped_at_the_number_of_points():
    plan = compute_shard_plan(request(shard_count=50))
    assert plan.shard_count == 10
    assert all(s.size == 1 for s in plan.shards)


@pytest.mark.parametrize(
    ("shard_size", "count", "sizes"),
    [(1, 10, [1] * 10), (3, 4, [3, 3, 2, 2]), (5, 2, [5, 5]), (10, 1, [10]), (11, 1, [10])],
)
def test_shard_size_derives_the_count_by_ceiling_division(shard_size, count, sizes):
    plan = compute_shard_plan(request(shard_size=shard_size))
    assert plan.shard_count == count
    assert plan.shard_strategy == "derived_from_shard_size"
    assert [s.size for s in plan.shards] == sizes


def test_shard_count_wins_over_shard_size():
    plan = compute_shard_plan(request(shard_count=2, shard_size=1))
    assert plan.shard_count == 2
    assert plan.shard_strategy == "explicit_shard_count"


def test_a_plan_over_max_shards_is_refused_naming_the_numbers():
    with pytest.raises(PlanTooLarge) as caught:
        compute_shard_plan(request(shard_count=8, max_shards=5))
    assert caught.value.field == "shard_count"
    assert caught.value.reason == (
        "shard_count 8 over 10 points gives 8 shards, more than max_shards 5"
    )
    with pytest.raises(PlanTooLarge) as caught:
        compute_shard_plan(request(shard_size=2, max_shards=4))
    assert caught.value.field == "shard_size"
    assert (
        "shard_size 2 over 10 points gives 5 shards, more than max_shards 4" in caught.value.reason
    )


def test_exactly_max_shards_is_accepted():
    assert compute_shard_plan(request(shard_size=2, max_shards=5)).shard_count == 5


def test_the_deployment_cap_applies_even_when_the_request_allows_more():
    wide = request(dimensions={"num_riders": list(range(2000))}, shard_size=1, max_shards=5000)
    with pytest.raises(PlanTooLarge) as caught:
        compute_shard_plan(wide)
    assert caught.value.field == "shard_size"
    assert "more than the deployment's limit 1000" in caught.value.reason
    plan = compute_shard_plan(wide, Limits(max_shards=2000))
    assert (plan.shard_count, plan.max_shards) == (2000, 2000)


def test_the_largest_allowed_plan_is_computed_arithmetically():
    dims = {
        "num_riders": list(range(1000)),
        "num_drivers": list(range(100)),
        "surge_enabled": [True, False],
    }
    plan = compute_shard_plan(request(dims, shard_count=1000))
    assert plan.total_points == 200_000
    assert plan.shard_count == len(plan.shards) == 1000
    assert {s.size for s in plan.shards} == {200}
    assert plan.shards[-1] == ShardRange(999, 199_800, 200_000)


def test_a_point_count_over_the_limit_is_refused_by_the_planner_too():
    big = request({"num_riders": list(range(1000))}, shard_count=1)
    with pytest.raises(PlanTooLarge) as caught:
        compute_shard_plan(big, Limits(max_points=999))
    assert caught.value.field == "dimensions"


# -- the point mapping ---------------------------------------------------------------------------


def test_the_last_sorted_name_varies_fastest():
    dims = DEMO.dimensions
    assert [tuple(point_values(dims, i).values()) for i in range(8)] == [
        (0.1, 100, 500),
        (0.1, 100, 700),
        (0.1, 200, 500),
        (0.1, 200, 700),
        (0.2, 100, 500),
        (0.2, 100, 700),
        (0.2, 200, 500),
        (0.2, 200, 700),
    ]
    assert list(point_values(dims, 5)) == ["commission_rate", "num_drivers", "num_riders"]


def test_names_are_sorted_by_bytes_not_by_insertion_order():
    dims = {"num_riders": [1, 2], "base_fare": [10.0, 20.0, 30.0]}
    assert point_values(dims, 1) == {"base_fare": 10.0, "num_riders": 2}
    assert point_values(dims, 2) == {"base_fare": 20.0, "num_riders": 1}


def test_the_mapping_matches_itertools_product_over_sorted_names():
    dims = {"num_riders": [1, 2, 3], "commission_rate": [0.1, 0.2], "surge_enabled": [True, False]}
    names = sorted(dims)
    expected = list(itertools.product(*(dims[name] for name in names)))
    assert [tuple(point_values(dims, i).values()) for i in range(total_points(dims))] == expected


def test_point_index_inverts_point_values():
    for index in range(8):
        assert point_index(DEMO.dimensions, point_values(DEMO.dimensions, index)) == index


def test_point_index_compares_json_types_strictly():
    dims = {"epoch_ms": [1, None], "surge_enabled": [False, True]}
    assert point_index(dims, {"epoch_ms": 1, "surge_enabled": True}) == 1
    with pytest.raises(KeyError):
        point_index(dims, {"epoch_ms": True, "surge_enabled": True})


@pytest.mark.parametrize("index", [-1, 8, 10**30])
def test_point_values_refuses_indices_out_of_range(index):
    with pytest.raises(IndexError, match=r"outside \[0, 8\)"):
        point_values(DEMO.dimensions, index)


# -- per-point seeds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "index", "expected"),
    [
        (42, 3, 41),
        (42, 0, 42),
        (0, 7, 7),
        (-1, 5, 18446744073709551610),  # 0xFFFF_FFFF_FFFF_FFFA
        (-1, 0, 2**64 - 1),
        (-(2**63), 1, 2**63 + 1),
        (2**63 - 1, 199_999, (2**63 - 1) ^ 199_999),
        (2**63 - 1, 2**63 - 1, 0),
        (0x5EEDCAFE, 0x5EEDCAFE, 0),
    ],
)
def test_point_seed_is_the_unsigned_seed_xor_the_index(seed, index, expected):
    assert point_seed(seed, index) == expected
    assert 0 <= point_seed(seed, index) < 2**64


@pytest.mark.parametrize("index", [-1, 2**64])
def test_point_seed_needs_an_unsigned_64_bit_index(index):
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        point_seed(1, index)


# -- shard messages and the run context ----------------------------------------------------------


def test_one_message_per_shard_carrying_the_run():
    plan = compute_shard_plan(DEMO)
    messages = list(shard_messages(DEMO, plan, "2024-05-01"))
    assert [m.shard_id for m in messages] == [0, 1, 2, 3]
    assert [(m.start_index, m.end_index_exclusive) for m in messages] == [
        (0, 2),
        (2, 4),
        (4, 6),
        (6, 8),
    ]
    for message in messages:
        assert message.schema_version == "v1"
        assert message.run_id == "demo-run-001"
        assert message.run_date == "2024-05-01"
        assert message.request_fingerprint == request_fingerprint(DEMO)
        assert message.dimensions == DEMO.dimensions
        assert (message.total_points, message.seed) == (8, 42)
        assert message.failure_injection_shards == (1,)
        # Every message the planner makes passes the worker's strict decoder.
        assert ShardMessage.from_json(message.to_json()) == message


def test_messages_accept_a_date_object():
    import datetime as dt

    (first, *_) = shard_messages(DEMO, compute_shard_plan(DEMO), dt.date(2024, 5, 1))
    assert first.run_date == "2024-05-01"


def test_messages_refuse_a_bad_run_date():
    with pytest.raises(InvalidRequest) as caught:
        list(shard_messages(DEMO, compute_shard_plan(DEMO), "01/05/2024"))
    assert caught.value.field == "run_date"


def test_the_largest_message_fits_in_an_sqs_message():
    # Worst case under the default limits: 10,000 values of the longest float repr and a
    # second dimension of 20, plus the most failure-injection shard ids (stay under 256 KiB).
    floats = [1.2345678901234567e-300 * (1 + i * 1e-15) for i in range(10_000)]
    dims = {"base_fare": floats, "match_radius": [2**32 - 1 - i for i in range(20)]}
    worst = request(
        dims,
        run_id="r" * 128,
        shard_count=1000,
        failure_injection_shards=list(range(1000)),
        seed=-(2**63),
    )
    plan = compute_shard_plan(worst)
    message = next(shard_messages(worst, plan, "2024-05-01"))
    assert len(message.to_json().encode("utf-8")) < 256 * 1024


def test_a_plan_whose_messages_are_over_the_queue_limit_is_refused_naming_the_shard():
    # Under the default caps a message fits; raised caps can break that.
    raised = Limits(max_values_per_dimension=20_000)
    floats = [1000.0 + i / 7 for i in range(20_000)]  # ~18 bytes each: ~360 KB
    big = parse_sweep_request(
        {"run_id": "big", "dimensions": {"base_fare": floats}, "shard_count": 2}, raised
    )
    sizes = [
        len(m.to_json().encode())
        for m in shard_messages(big, compute_shard_plan(big), "2024-05-01")
    ]
    assert min(sizes) > MAX_MESSAGE_BYTES
    with pytest.raises(PlanTooLarge) as info:
        compute_shard_plan(
            big, Limits(max_values_per_dimension=20_000, max_message_bytes=MAX_MESSAGE_BYTES)
        )
    assert info.value.field == "dimensions"
    assert info.value.reason == (
        f"the queue message of shard 0 is {sizes[0]} bytes; SQS takes at most "
        f"{MAX_MESSAGE_BYTES}: use fewer or shorter dimension values"
    )
    compute_shard_plan(big)  # no cap by default: local runs take any message


def test_the_message_limit_is_inclusive_and_names_the_first_shard_over_it():
    eleven = request({"num_riders": list(range(110))}, shard_count=11)
    plan = compute_shard_plan(eleven)
    sizes = [len(m.to_json().encode()) for m in shard_messages(eleven, plan, "2024-05-01")]
    assert sizes[-1] > sizes[0]  # longer shard ids and bounds: the last is the longest
    compute_shard_plan(eleven, Limits(max_message_bytes=sizes[-1]))
    with pytest.raises(PlanTooLarge) as info:
        compute_shard_plan(eleven, Limits(max_message_bytes=sizes[-1] - 1))
    first_over = next(i for i, size in enumerate(sizes) if size > sizes[-1] - 1)
    assert f"shard {first_over} is {sizes[first_over]} bytes" in info.value.reason


def test_the_run_context_record_summarises_request_and_plan():
    plan = compute_shard_plan(DEMO)
    provenance = Provenance(sweeplib_version="0.1.0", kernel_hash="ab" * 32)
    record = run_context_record(DEMO, plan, "api", provenance)
    assert record.as_row() == {
        "run_id": "demo-run-001",
        "request_source": "api",
        "record_schema": "v1",
        "request_fingerprint": request_fingerprint(DEMO),
        "config_fingerprint": config_fingerprint(DEMO),
        "total_points": 8,
        "shard_count": 4,
        "shard_strategy": "explicit_shard_count",
        "max_shards": 1000,
        "design_kind": "grid",
        "design_points": 8,
        "replications": 1,
        "seeding": "independent",
        "sweeplib_version": "0.1.0",
        "kernel_hash": "ab" * 32,
        "artifact_sha256": None,
    }
