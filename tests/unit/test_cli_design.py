"""``sweep design``: a request file from a compact command line; ``sweep plan`` shows it."""

from __future__ import annotations

import json

import pytest

from sweeplib.cli import main
from sweeplib.contracts import parse_sweep_request

ISSUE_EXAMPLE = [
    "design", "--kind", "lhs", "--samples", "256",
    "--range", "commission_rate=0:0.3", "--range", "num_drivers=50:500:int",
    "--set", "match_radius=5", "--replications", "5", "--seeding", "common", "--run-id", "r1",
]  # fmt: skip


def test_the_issue_example_writes_a_valid_request_and_plan_shows_the_design(tmp_path, capsys):
    out = tmp_path / "r1.json"
    assert main([*ISSUE_EXAMPLE, "-o", str(out)]) == 0
    summary = capsys.readouterr().err
    assert "lhs design: 256 design points × 5 replicate(s) = 1280 points" in summary
    body = json.loads(out.read_text())
    request = parse_sweep_request(body)
    assert (request.design_points, request.replications, request.seeding) == (256, 5, "common")
    assert request.design["generator"] == "scipy.stats.qmc.LatinHypercube"
    assert {p["match_radius"] for p in body["points"]} == {5}
    assert all(isinstance(p["num_drivers"], int) for p in body["points"])

    assert main(["plan", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "design                    lhs: 256 design points × 5 replicates = 1280 points " \
        "(common seeding)" in lines  # fmt: skip
    assert "  match_radius     1 distinct value: 5" in lines
    assert main(["plan", "--json", str(out)]) == 0
    design = json.loads(capsys.readouterr().out)["design"]
    assert design == {
        "kind": "lhs", "design_points": 256, "replications": 5, "seeding": "common",
        "total_points": 1280,
    }  # fmt: skip


def test_the_same_command_line_writes_the_same_bytes(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main([*ISSUE_EXAMPLE, "-o", str(first)]) == 0
    assert main([*ISSUE_EXAMPLE, "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert main([*ISSUE_EXAMPLE, "--design-seed", "1", "-o", str(second)]) == 0
    assert first.read_bytes() != second.read_bytes()


def test_a_grid_design_is_a_grid_request(capsys):
    assert main(["design", "--kind", "grid", "--levels", "3", "--range",
                 "num_riders=100:300:int", "--choice", "traffic_profile=none,berlin",
                 "--run-id", "g"]) == 0  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert body["dimensions"] == {
        "num_riders": [100, 200, 300],
        "traffic_profile": ["none", "berlin"],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--range", "commission_rate=0:x"], "invalid --range commission_rate=0:x: high bound"),
        (
            ["--range", "commission_rate=0:2"],
            "invalid --range commission_rate=0:2: high bound must",
        ),
        (["--range", "speed=0:2"], "invalid --range speed=0:2: unknown dimension"),
        (["--choice", "traffic_profile=paris"], "invalid --choice traffic_profile=paris: choice"),
        (["--set", "match_radius=-1", "--range", "commission_rate=0:1"], "match_radius: fixed"),
        (["--range", "commission_rate=0:1", "--replications", "0"], "invalid --replications"),
        (["--range", "commission_rate=0:1", "--shard-size", "0"], "invalid --shard-size"),
        (["--range", "commission_rate=0:1", "--samples", "0"], "invalid --samples"),
        ([], "invalid --range/--choice: a design needs at least one range or choice"),
    ],
)
def test_errors_name_the_bad_flag_and_exit_2(args, message, capsys, tmp_path):
    out = tmp_path / "never.json"
    base = ["design", "--kind", "sobol", "--samples", "8", "--run-id", "x", "-o", str(out)]
    if "--samples" in args:
        base = ["design", "--kind", "sobol", "--run-id", "x", "-o", str(out)]
    assert main([*base, *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
