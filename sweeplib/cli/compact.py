"""``sweep compact RUN_ID``: consolidate a run into its run-level tables (ADR 0016).

Locally (``--data-dir``) DuckDB reads the run's committed shards and writes
``run_points``, ``run_trips`` and ``run_snapshots`` into a new generation, then replaces
the run's ``run_consolidation`` record (the commit: readers never see a half-written
table). With ``--bucket`` Athena does the same where the data is (``UNLOAD``), nothing is
downloaded. Idempotent: a run whose tables already hold every committed shard is left
as is (``--force`` writes a new generation anyway). ``sweep run`` and ``sweep rerun``
compact at their end; in AWS a run's completion starts the Athena consolidation (ADR
0022), and this command finishes one that failed or timed out (it skips past leftover
generation folders). Generations older than the previous one are removed (tagged for
the bucket's lifecycle rule in S3).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sweeplib import services
from sweeplib.cli._common import DEFAULT_DATA_DIR, add_aws_options
from sweeplib.errors import InvalidRequest, ObjectNotFound
from sweeplib.storage import keys

__all__ = ["existing_data_dir", "register", "run"]

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compact",
        help="consolidate a run into its run-level tables",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 on success, 2 for an unknown run or folder, 1 when it failed",
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help=f"local outcome folder (default {DEFAULT_DATA_DIR})",
    )
    where.add_argument("--bucket", metavar="BUCKET", help="consolidate in S3 with Athena")
    parser.add_argument(
        "--prefix",
        default=keys.DEFAULT_PREFIX,
        metavar="PREFIX",
        help=f"base key prefix of the outcomes (default {keys.DEFAULT_PREFIX})",
    )
    parser.add_argument(
        "--force", action="store_true", help="write a new generation even if up to date"
    )
    athena = parser.add_argument_group("Athena (with --bucket)")
    athena.add_argument("--database", default="ride_sim_analytics", help="Glue database")
    athena.add_argument("--workgroup", default="primary", help="Athena workgroup")
    athena.add_argument(
        "--output-location", default=None, metavar="S3_URI", help="query result location"
    )
    add_aws_options(athena)
    parser.set_defaults(handler=run)


def existing_data_dir(value: str | None) -> Path:
    """The ``--data-dir`` folder, which must exist (a typo must not look like an empty run)."""
    path = Path(value or DEFAULT_DATA_DIR)
    if not path.is_dir():
        raise InvalidRequest("--data-dir", f"{path} does not exist or is not a folder")
    return path


def run(args: argparse.Namespace) -> int:
    prefix = keys.normalize_prefix(args.prefix)
    now = services.utc_now()
    if args.bucket is None:
        from sweeplib.storage import LocalObjectStore

        store = LocalObjectStore(existing_data_dir(args.data_dir))
        record = _known_run(
            lambda: services.compact(store, args.run_id, now=now, prefix=prefix, force=args.force),
            args.run_id,
        )
    else:
        from sweeplib import aws
        from sweeplib.query.athena_engine import AthenaQueryEngine
        from sweeplib.storage.s3 import S3ObjectStore

        session = aws.aws_session(profile=args.profile, region=args.region)
        s3 = S3ObjectStore(args.bucket, session=session)
        athena = AthenaQueryEngine(
            database=args.database,
            workgroup=args.workgroup,
            output_location=args.output_location,
            boto3_session=session,
        )
        record = _known_run(
            lambda: services.compact_in_athena(
                s3,
                args.run_id,
                athena=athena,
                bucket=args.bucket,
                now=now,
                prefix=prefix,
                force=args.force,
            ),
            args.run_id,
        )
    if record is None:
        print(f"run {args.run_id}: no shard is committed yet; nothing to consolidate")
    else:
        print(record.describe())
    return 0


def _known_run(call: Callable[[], T], run_id: str) -> T:
    try:
        return call()
    except ObjectNotFound:
        raise InvalidRequest("run_id", f"no run {run_id!r} was accepted here") from None
