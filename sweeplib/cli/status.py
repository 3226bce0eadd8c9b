"""``sweep status RUN_ID``: planned / succeeded / failed / missing shards of a run.

Read from the outcome objects themselves (no SQL), in a local folder (``--data-dir``,
the default) or an S3 bucket (``--bucket``). Success is final: a shard that failed once
and then succeeded counts as succeeded. ``--watch`` polls until every shard has an
outcome, with a progress bar over shards on stderr; Ctrl-C stops watching (exit 130).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from sweeplib import services
from sweeplib.cli._common import DEFAULT_DATA_DIR, add_aws_options
from sweeplib.errors import InvalidRequest, WaitTimedOut
from sweeplib.progress import ShardProgress
from sweeplib.status import RunStatus
from sweeplib.storage import LocalObjectStore, keys

if TYPE_CHECKING:
    from sweeplib.storage.store import ObjectStore

__all__ = ["EXIT_INTERRUPTED", "EXIT_TIMED_OUT", "register", "render_status", "run"]

EXIT_TIMED_OUT = 1
EXIT_INTERRUPTED = 130
DEFAULT_INTERVAL_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show a run's shard counts from its outcome objects",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "exit status: 0 (failed shards are reported, not an error), 1 when --timeout "
            "passes with shards missing or the run is unknown, 130 when interrupted"
        ),
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help=f"local outcome folder, laid out like the S3 bucket (default {DEFAULT_DATA_DIR})",
    )
    where.add_argument("--bucket", metavar="BUCKET", help="read the outcomes from this S3 bucket")
    parser.add_argument(
        "--prefix",
        default=keys.DEFAULT_PREFIX,
        metavar="PREFIX",
        help=f"base key prefix of the outcomes (default {keys.DEFAULT_PREFIX})",
    )
    aws = parser.add_argument_group("S3 access (with --bucket)")
    add_aws_options(aws)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--watch", action="store_true", help="poll until every shard has an outcome"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_S,
        metavar="S",
        help=f"seconds between polls with --watch (default {DEFAULT_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="with --watch, give up after S seconds (exit 1); default: wait",
    )
    parser.set_defaults(handler=run)


def render_status(status: RunStatus) -> str:
    cancelled = " — CANCELLED (`sweep rerun` resumes it)" if status.cancelled else ""
    lines = [
        f"run {status.run_id} ({', '.join(status.run_dates)}): {status.total_points} point(s)"
        + cancelled,
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


def _open_store(args: argparse.Namespace) -> tuple[ObjectStore, str]:
    """The store the options name, and how to describe it (normalizes ``args.prefix``)."""
    args.prefix = keys.normalize_prefix(args.prefix)
    if args.bucket is None:
        for option in ("region", "profile"):
            if getattr(args, option) is not None:
                raise InvalidRequest(f"--{option}", "only applies with --bucket")
        data_dir = args.data_dir or DEFAULT_DATA_DIR
        return LocalObjectStore(data_dir), str(data_dir)
    from sweeplib.storage.s3 import S3ObjectStore

    store = S3ObjectStore.open(args.bucket, profile=args.profile, region=args.region)
    return store, f"s3://{args.bucket}/{args.prefix}"


def _print(status: RunStatus, as_json: bool) -> None:
    if as_json:
        print(json.dumps(status.as_dict(), indent=2))
    else:
        print(render_status(status))


def _check_watch_options(args: argparse.Namespace) -> None:
    if not args.watch:
        if args.timeout is not None:
            raise InvalidRequest("--timeout", "only applies with --watch")
        return
    if not args.interval > 0:
        raise InvalidRequest("--interval", f"must be > 0, got {args.interval:g}")
    if args.timeout is not None and not args.timeout >= 0:
        raise InvalidRequest("--timeout", f"must be >= 0, got {args.timeout:g}")


def _watch(args: argparse.Namespace, store: ObjectStore, where: str) -> int:
    progress = ShardProgress(args.run_id)
    try:
        print(
            f"watching run {args.run_id} in {where} every {args.interval:g} s (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        status = services.watch(
            store,
            args.run_id,
            prefix=args.prefix,
            poll_s=args.interval,
            timeout_s=args.timeout,
            on_progress=progress,
        )
    except KeyboardInterrupt:
        progress.close()
        print(f"\nsweep status: stopped watching run {args.run_id}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except WaitTimedOut as error:
        progress.close()
        _print(error.status, args.json)
        print(f"sweep status: {error}", file=sys.stderr)
        return EXIT_TIMED_OUT
    progress.close()
    _print(status, args.json)
    return 0


def run(args: argparse.Namespace) -> int:
    _check_watch_options(args)
    store, where = _open_store(args)
    if args.watch:
        return _watch(args, store, where)
    _print(services.status(store, args.run_id, prefix=args.prefix), args.json)
    return 0
