"""``sweep plan``: the runbook example, bad requests (exit 2), --json, stdin, big plans."""

from __future__ import annotations

import io
import json
import sys

import pytest

from sweeplib.cli import main
from sweeplib.contracts import canonical_json
from tests.factories import DEMO_CONFIG_FINGERPRINT, DEMO_REQUEST_FINGERPRINT
from tests.factories import DEMO_REQUEST_FILE as DEMO
from tests.factories import REQUEST_FIXTURES as FIXTURES


def test_the_runbook_example_is_eight_points_in_four_shards_of_two(capsys):
    assert main(["plan", str(DEMO)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "8 points in 4 shards of 2" in lines
    assert "run_id                    demo-run-001" in lines
    assert "seed                      42" in lines
    assert "failure_injection_shards  [1]" in lines
    assert "  commission_rate  2 values: 0.1, 0.2" in lines
    assert "  num_drivers      2 values: 100, 200" in lines
    assert "  num_riders       2 values: 500, 700" in lines
    assert "shard_strategy            explicit_shard_count (max_shards 1000)" in lines
    assert f"request_fingerprint       {DEMO_REQUEST_FINGERPRINT}" in lines
    assert f"config_fingerprint        {DEMO_CONFIG_FINGERPRINT}" in lines
    table = lines[lines.index("shard_id  start_index  end_index_exclusive  points") + 1 :]
    assert [row.split() for row in table] == [
        ["0", "0", "2", "2"],
        ["1", "2", "4", "2"],
        ["2", "4", "6", "2"],
        ["3", "6", "8", "2"],
    ]


def test_json_output_is_one_document_with_every_shard(capsys):
    assert main(["plan", "--json", str(DEMO)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["request"]["run_id"] == "demo-run-001"
    assert document["request"]["max_shards"] == 1000
    assert document["request_fingerprint"] == DEMO_REQUEST_FINGERPRINT
    assert document["config_fingerprint"] == DEMO_CONFIG_FINGERPRINT
    plan = document["plan"]
    assert (plan["total_points"], plan["shard_count"], plan["shard_strategy"]) == (
        8,
        4,
        "explicit_shard_count",
    )
    assert plan["shards"][3] == {
        "shard_id": 3,
        "start_index": 6,
        "end_index_exclusive": 8,
        "points": 2,
    }


def test_the_request_can_come_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(DEMO.read_text(encoding="utf-8")))
    assert main(["plan", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["shard_count"] == 4


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "invalid-unknown-dimension.json",
            "sweep plan: invalid dimensions.rider_mood: unknown dimension; accepted: base_fare,",
        ),
        (
            "invalid-non-numeric-commission.json",
            "sweep plan: invalid dimensions.commission_rate[1]: must be a number, got string '0.2'",
        ),
        (
            "invalid-empty-values.json",
            "sweep plan: invalid dimensions.num_drivers: must be a non-empty list of values",
        ),
        ("invalid-shard-size-zero.json", "sweep plan: invalid shard_size: must be ≥ 1, got 0"),
        ("invalid-run-id-path.json", "sweep plan: invalid run_id: may contain only letters"),
    ],
)
def test_bad_requests_exit_2_naming_the_problem(fixture, message, capsys):
    assert main(["plan", str(FIXTURES / fixture)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message)


def test_an_unreadable_file_exits_2_naming_the_path(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert main(["plan", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sweep plan: invalid request file {missing}: cannot be read:")
    assert main(["plan", str(tmp_path)]) == 2  # a directory
    assert str(tmp_path) in capsys.readouterr().err


def test_text_that_is_not_json_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"run_id": "x", "seed": NaN}', encoding="utf-8")
    assert main(["plan", str(broken)]) == 2
    assert "invalid body: not valid JSON: NaN is not valid JSON" in capsys.readouterr().err


def test_a_plan_over_max_shards_exits_2(tmp_path, capsys):
    request = {
        "run_id": "big",
        "dimensions": {"num_riders": list(range(50))},
        "shard_size": 1,
        "max_shards": 10,
    }
    path = tmp_path / "big.json"
    path.write_text(canonical_json(request), encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    assert (
        "invalid shard_size: shard_size 1 over 50 points gives 50 shards" in capsys.readouterr().err
    )


def test_large_plans_abbreviate_the_shard_table_and_long_value_lists(tmp_path, capsys):
    request = {
        "run_id": "large",
        "dimensions": {"num_riders": list(range(2000)), "num_drivers": list(range(100))},
        "shard_count": 1000,
    }
    path = tmp_path / "large.json"
    path.write_text(canonical_json(request), encoding="utf-8")
    assert main(["plan", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "200000 points in 1000 shards of 200" in lines
    assert "  num_riders   2000 values: 0, 1, 2, 3, 4, 5, 6, 7, … 1990 more …, 1998, 1999" in lines
    table = lines[lines.index("shard_id  start_index  end_index_exclusive  points") + 1 :]
    assert len(table) == 10 + 1 + 5
    assert table[10] == "… 985 more shards …"
    assert table[0].split() == ["0", "0", "200", "200"]
    assert table[-1].split() == ["999", "199800", "200000", "200"]


def test_help_lists_every_dimension(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "matching_algorithm_type" in out
    assert "unsigned integer ≤ 4294967295" in out
