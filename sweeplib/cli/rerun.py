"""``sweep rerun RUN_ID``: run again only the failed or missing shards of a run.

The run is consolidated again at the end (``sweep compact``) when more shards committed.

Same run id, same run date, same messages as the first time (rebuilt from the run's
submission record). A shard listed in ``failure_injection_shards`` fails again, by
design. Shards that succeeded are never re-run.
"""

from __future__ import annotations

import argparse

from sweeplib import services
from sweeplib.cli._common import add_data_dir, add_workers, positive_workers
from sweeplib.cli.run import exit_code
from sweeplib.local import LocalDispatcher
from sweeplib.storage import LocalObjectStore

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rerun", help="re-run a run's failed and missing shards", description=__doc__
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    add_data_dir(parser)
    add_workers(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    dispatcher = LocalDispatcher(
        args.data_dir, workers=positive_workers(args.workers), progress=not args.no_progress
    )
    store = LocalObjectStore(args.data_dir)
    rerun = services.rerun(store, args.run_id, dispatcher, announce=print)
    if rerun.shard_ids:
        print(dispatcher.summary.describe())
    if not dispatcher.summary.interrupted:
        record = services.compact(store, args.run_id, now=services.utc_now())
        if record is not None:
            print(record.describe())
    if not rerun.shard_ids:
        return 0
    return exit_code(dispatcher.summary, rerun.submission.request.failure_injection_shards)
