"""``sweep simulate``: run one point of the simulation and print its metrics."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sweeplib.dimensions import DIMENSION_NAMES
from sweeplib.errors import InvalidRequest
from sweeplib.experiments import run_point
from sweeplib.sim import DEFAULT_MAX_STEPS, METRIC_NAMES, kernel_build

__all__ = ["parse_assignment", "register", "run"]

_U64 = (1 << 64) - 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run one simulation point and print its metrics",
        description=(
            "Run one point exactly as a sweep would (defaults from ScenarioParams, "
            "simulation_duration_hours absolute) and print its metrics, event count "
            "and wall time, and which kernel ran (compiled or pure, see docs/kernel.md). "
            "Dimensions: " + ", ".join(DIMENSION_NAMES) + "."
        ),
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a sweep dimension value; VALUE is JSON (5, 0.2, true, null) or a bare string",
    )
    parser.add_argument("--seed", type=int, default=0, help="the point's seed (default 0)")
    parser.add_argument(
        "--max-steps",
        type=int,
        default=DEFAULT_MAX_STEPS,
        help=f"cap on processed events (default {DEFAULT_MAX_STEPS:,})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run)


def parse_assignment(text: str) -> tuple[str, Any]:
    """``name=value`` → ``(name, JSON value)``; a value that is not JSON is a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidRequest("--set", f"expected NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def run(args: argparse.Namespace) -> int:
    selected: dict[str, Any] = {}
    for text in args.assignments:
        name, value = parse_assignment(text)
        if name in selected:
            raise InvalidRequest(f"--set {name}", "given more than once")
        selected[name] = value
    if not -(1 << 63) <= args.seed <= _U64:
        raise InvalidRequest("--seed", f"must fit in 64 bits, got {args.seed}")
    if args.max_steps < 1:
        raise InvalidRequest("--max-steps", f"must be >= 1, got {args.max_steps}")
    point = run_point(selected, args.seed & _U64, max_steps=args.max_steps)
    result = point.result
    if args.json:
        document = {
            "selected_dimensions": point.document["selected_dimensions"],
            "seed": args.seed & _U64,
            "parameter_fingerprint": point.parameter_fingerprint,
            "metrics": result.metrics,
            "events_processed": result.events_processed,
            "final_time_ms": result.final_time_ms,
            "trips": result.trip_count,
            "snapshots": result.snapshot_count,
            "wall_seconds": round(point.wall_seconds, 4),
            "kernel": kernel_build(),
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    chosen = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(selected.items())) or "defaults"
    print(f"point: {chosen}; seed {args.seed & _U64}")
    width = max(len(name) for name in METRIC_NAMES)
    for name in METRIC_NAMES:
        value = result.metrics[name]
        shown = f"{value:,.4f}" if isinstance(value, float) else f"{value:,}"
        print(f"  {name:<{width}}  {shown:>16}")
    rate = result.events_processed / point.wall_seconds if point.wall_seconds > 0 else 0.0
    print(
        f"events: {result.events_processed:,} in {point.wall_seconds:.3f} s "
        f"({rate:,.0f} events/s); final clock {result.final_time_ms:,} ms; "
        f"trips {result.trip_count:,}; snapshots {result.snapshot_count:,}; "
        f"kernel {kernel_build()}"
    )
    return 0
