"""``sweep status RUN_ID``: planned / succeeded / failed / missing shards of a run.

Read from the outcome objects themselves (no SQL). Success is final: a shard that
failed once and then succeeded counts as succeeded.
"""

from __future__ import annotations

import argparse
import json

from sweeplib.cli._common import add_data_dir
from sweeplib.status import RunStatus, run_status
from sweeplib.storage import LocalObjectStore

__all__ = ["register", "render_status", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status", help="show a run's shard counts from its outcome objects", description=__doc__
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run)


def render_status(status: RunStatus) -> str:
    lines = [
        f"run {status.run_id} ({', '.join(status.run_dates)}): {status.total_points} point(s)",
        f"  planned    {status.planned:>6} shard(s)",
        f"  succeeded  {len(status.succeeded):>6} shard(s), {status.succeeded_points} point(s)",
        f"  failed     {len(status.failed):>6} shard(s)",
        f"  missing    {len(status.missing):>6} shard(s)",
    ]
    for failure in status.failed:
        lines.append(f"  - shard {failure.shard_id}: {failure.error_code}: {failure.error_message}")
    if status.missing:
        shown = ", ".join(str(s) for s in status.missing[:20])
        more = f" and {len(status.missing) - 20} more" if len(status.missing) > 20 else ""
        lines.append(f"  missing shards: {shown}{more}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    status = run_status(LocalObjectStore(args.data_dir), args.run_id)
    if args.json:
        print(json.dumps(status.as_dict(), indent=2))
    else:
        print(render_status(status))
    return 0
