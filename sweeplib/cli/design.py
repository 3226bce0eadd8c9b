"""``sweep design``: write a sweep request from a compact description of a design.

Example::

    sweep design --kind lhs --samples 256 --range commission_rate=0:0.3 \\
        --range num_drivers=50:500:int --set match_radius=5 \\
        --replications 5 --seeding common --run-id r1 -o r1.json

``--range NAME=LO:HI[:int][:log]`` varies a numeric dimension, ``--choice NAME=A,B``
picks among values, ``--set NAME=VALUE`` holds one fixed. The design is drawn with
``sweeplib.designs`` (scipy.stats.qmc and SALib), validated exactly as the API will
validate it, and written as JSON; a summary goes to stderr. ``sweep plan FILE`` then
shows the plan, ``sweep run FILE`` runs it, ``sweep submit FILE`` sends it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sweeplib.contracts import parse_sweep_request
from sweeplib.contracts.request import MAX_REPLICATIONS, SEEDING_MODES
from sweeplib.designs import KINDS, Factor, make_design, parse_choice, parse_range, parse_set
from sweeplib.errors import InvalidRequest
from sweeplib.planning import compute_shard_plan

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``design`` subcommand to the ``sweep`` parser."""
    parser = subparsers.add_parser(
        "design",
        help="write a request for a grid, random, LHS, Sobol, Halton, Saltelli or Morris design",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]) if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kind", required=True, choices=KINDS, help="the design")
    parser.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="points (random, lhs, sobol, halton); base N (saltelli: N·(k+2) points); "
        "trajectories (morris: N·(k+1) points)",
    )
    parser.add_argument(
        "--levels", type=int, metavar="N", help="values per range (grid, default 5); grid levels "
        "(morris, even, default 4)",
    )  # fmt: skip
    parser.add_argument(
        "--range", dest="ranges", action="append", default=[], metavar="NAME=LO:HI[:int][:log]",
        help="vary a numeric dimension from LO to HI (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--choice", dest="choices", action="append", default=[], metavar="NAME=A,B,...",
        help="vary a dimension over listed values (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--set", dest="fixed", action="append", default=[], metavar="NAME=VALUE",
        help="hold a dimension at one value (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--replications", type=int, default=1, metavar="R",
        help=f"runs of every design point, 1–{MAX_REPLICATIONS} (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--seeding", choices=SEEDING_MODES, default="independent",
        help="independent seeds per point, or common random numbers across design points",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="the sweep's seed (default 0)")
    parser.add_argument(
        "--design-seed", type=int, default=0, metavar="S",
        help="seed of the design's generator (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--second-order", action="store_true", help="saltelli: also sample for second-order indices"
    )
    parser.add_argument("--run-id", required=True, help="the run id of the request")
    shards = parser.add_mutually_exclusive_group()
    shards.add_argument("--shard-size", type=int, metavar="N", help="points per shard")
    shards.add_argument("--shard-count", type=int, metavar="N", help="number of shards")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the request here (default stdout)"
    )
    parser.set_defaults(handler=run)


def _flagged(flag: str, text: str, parse):  # type: ignore[no-untyped-def]
    try:
        return parse(text)
    except InvalidRequest as error:
        raise InvalidRequest(f"{flag} {text}", error.reason) from None


def run(args: argparse.Namespace) -> int:
    """Build the design, validate its request, write it; return the exit code (0).

    Raises
    ------
    InvalidRequest
        Naming the bad flag (the CLI exits with 2).
    """
    factors: list[Factor] = [_flagged("--range", text, parse_range) for text in args.ranges]
    factors += [_flagged("--choice", text, parse_choice) for text in args.choices]
    fixed = dict(_flagged("--set", text, parse_set) for text in args.fixed)
    try:
        design = make_design(
            args.kind,
            factors,
            samples=args.samples,
            levels=args.levels,
            fixed=fixed,
            seed=args.design_seed,
            second_order=args.second_order,
        )
    except InvalidRequest as error:
        flags = {
            "kind": "--kind",
            "samples": "--samples",
            "levels": "--levels",
            "seed": "--design-seed",
            "factors": "--range/--choice",
        }
        field = flags.get(error.field, f"--range/--choice/--set {error.field}")
        raise InvalidRequest(field, error.reason) from None
    body = design.request(
        args.run_id,
        replications=args.replications,
        seeding=args.seeding,
        seed=args.seed,
        shard_size=args.shard_size,
        shard_count=args.shard_count,
    )
    try:
        request = parse_sweep_request(body)
        plan = compute_shard_plan(request)
    except InvalidRequest as error:
        flag = {"run_id": "--run-id", "replications": "--replications", "seed": "--seed",
                "shard_size": "--shard-size", "shard_count": "--shard-count"}  # fmt: skip
        raise InvalidRequest(flag.get(error.field, error.field), error.reason) from None
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            reason = f"cannot be written: {error.strerror}"
            raise InvalidRequest(f"--output {args.output}", reason) from None
    else:
        sys.stdout.write(text)
    print(
        f"{design.kind} design: {len(design)} design points × {request.replications} "
        f"replicate(s) = {request.total_points} points in {plan.shard_count} shard(s); "
        f"{len(text.encode()):,} bytes" + (f" → {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    return 0
