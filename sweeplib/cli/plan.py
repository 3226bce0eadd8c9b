"""``sweep plan REQUEST``: validate a sweep request and show its shard plan.

Reads the request (a JSON file, or ``-`` for stdin), validates it exactly as the API
does, and prints the normalized request, its fingerprints and the shard table; with
``--json``, one JSON document instead. Nothing is run or written.
"""

from __future__ import annotations

import argparse
import json

from sweeplib.cli._common import read_request
from sweeplib.contracts import (
    JSONValue,
    SweepRequest,
    canonical_json,
    config_fingerprint,
    parse_sweep_request_json,
    request_fingerprint,
)
from sweeplib.dimensions import DIMENSIONS
from sweeplib.planning import ShardPlan, compute_shard_plan

__all__ = ["plan_document", "register", "render_plan", "run"]

# Longer shard tables and value lists are shown as head … tail.
_MAX_ROWS = 20
_HEAD_ROWS = 10
_TAIL_ROWS = 5
_MAX_VALUES = 12
_HEAD_VALUES = 8
_TAIL_VALUES = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` subcommand to the ``sweep`` parser."""
    dimension_help = "\n".join(
        f"  {spec.name:<27} {spec.value_type}\n  {'':<27} {spec.description}"
        for spec in DIMENSIONS.values()
    )
    parser = subparsers.add_parser(
        "plan",
        help="validate a sweep request and show its shard plan",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=f"accepted dimensions:\n{dimension_help}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("request", metavar="REQUEST", help="request JSON file, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan the request named by ``args.request``; print it; return the exit code (0).

    Raises
    ------
    InvalidRequest
        When the file cannot be read or the request is invalid (the CLI exits with 2).
    """
    request = parse_sweep_request_json(read_request(args.request))
    plan = compute_shard_plan(request)
    if args.json:
        print(json.dumps(plan_document(request, plan), indent=2, ensure_ascii=False))
    else:
        print(render_plan(request, plan))
    return 0


def plan_document(request: SweepRequest, plan: ShardPlan) -> dict[str, JSONValue]:
    """The ``--json`` output: the normalized request, its fingerprints and the whole plan."""
    return {
        "request": request.to_json_dict(),
        "request_fingerprint": request_fingerprint(request),
        "config_fingerprint": config_fingerprint(request),
        "design": {
            "kind": request.design_kind,
            "design_points": request.design_points,
            "replications": request.replications,
            "seeding": request.seeding,
            "total_points": request.total_points,
        },
        "plan": {
            "total_points": plan.total_points,
            "shard_count": plan.shard_count,
            "shard_strategy": plan.shard_strategy,
            "max_shards": plan.max_shards,
            "shards": [
                {
                    "shard_id": shard.shard_id,
                    "start_index": shard.start_index,
                    "end_index_exclusive": shard.end_index_exclusive,
                    "points": shard.size,
                }
                for shard in plan.shards
            ],
        },
    }


def render_plan(request: SweepRequest, plan: ShardPlan) -> str:
    """The human-readable output: request, design, plan summary, fingerprints, shard table."""
    width = max(len(name) for name in request.dimension_names)
    lines = [
        f"run_id                    {request.run_id}",
        f"seed                      {request.seed}",
        f"failure_injection_shards  {canonical_json(list(request.failure_injection_shards))}",
        f"design                    {request.design_kind}: {request.design_points} design "
        f"point{'s' if request.design_points != 1 else ''} × {request.replications} "
        f"replicate{'s' if request.replications != 1 else ''} = {request.total_points} points"
        f" ({request.seeding} seeding)",
    ]
    if request.points is None:
        lines.append("dimensions (sorted by name; the last varies fastest):")
        lines.extend(
            f"  {name:<{width}}  {len(values)} value{'s' if len(values) != 1 else ''}: "
            + _abbreviate_values(values)
            for name, values in request.dimensions.items()
        )
    else:
        lines.append("points (each sets every dimension below):")
        for name, column in request.points.columns().items():
            values = tuple(dict.fromkeys(column))
            lines.append(
                f"  {name:<{width}}  {len(values)} distinct value"
                f"{'s' if len(values) != 1 else ''}: {_abbreviate_values(values)}"
            )
    lines += [
        "",
        _summary(plan),
        f"shard_strategy            {plan.shard_strategy} (max_shards {plan.max_shards})",
        f"request_fingerprint       {request_fingerprint(request)}",
        f"config_fingerprint        {config_fingerprint(request)}",
        "",
        *_shard_table(plan),
    ]
    return "\n".join(lines)


def _summary(plan: ShardPlan) -> str:
    sizes = sorted({shard.size for shard in plan.shards}, reverse=True)
    of = " or ".join(str(size) for size in sizes)
    plural = "s" if plan.shard_count != 1 else ""
    return f"{plan.total_points} points in {plan.shard_count} shard{plural} of {of}"


def _abbreviate_values(values: tuple[object, ...]) -> str:
    shown = [canonical_json(value) for value in values]
    if len(shown) > _MAX_VALUES:
        hidden = len(shown) - _HEAD_VALUES - _TAIL_VALUES
        shown = [*shown[:_HEAD_VALUES], f"… {hidden} more …", *shown[-_TAIL_VALUES:]]
    return ", ".join(shown)


def _shard_table(plan: ShardPlan) -> list[str]:
    header = ("shard_id", "start_index", "end_index_exclusive", "points")
    rows = [
        (str(s.shard_id), str(s.start_index), str(s.end_index_exclusive), str(s.size))
        for s in plan.shards
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(w) for cell, w in zip(cells, widths, strict=True))

    if len(rows) > _MAX_ROWS:
        hidden = len(rows) - _HEAD_ROWS - _TAIL_ROWS
        body = [
            *map(line, rows[:_HEAD_ROWS]),
            f"… {hidden} more shards …",
            *map(line, rows[-_TAIL_ROWS:]),
        ]
    else:
        body = [line(row) for row in rows]
    return [line(header), *body]
