"""``sweep rerun RUN_ID``: run again only the failed or missing shards of a run.

Locally (``--data-dir``) it runs them in a process pool. Against a deployment
(``--api-url``) it asks the API (``POST /sweep-run/{run_id}/rerun``, IAM-authorised) to
re-enqueue them on the shard queue; repeating it before any of those shards has a new
outcome sends nothing again (``--rerun-id`` sets the idempotency key explicitly).
The run is consolidated again at the end (``sweep compact``) when more shards committed.

Same run id, same run date, same messages as the first time (rebuilt from the run's
submission record). A shard listed in ``failure_injection_shards`` fails again, by
design. Shards that succeeded are never re-run.
"""

from __future__ import annotations

import argparse

from sweeplib import services
from sweeplib.cli._common import add_aws_options, add_data_dir, add_workers, positive_workers
from sweeplib.cli.run import exit_code
from sweeplib.errors import InvalidRequest
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
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help="rerun on the deployment behind this API instead of locally",
    )
    parser.add_argument(
        "--rerun-id",
        metavar="KEY",
        help="with --api-url: idempotency key (1-64 of A-Z a-z 0-9 . _ -); "
        "default: the run's current failures",
    )
    add_aws_options(parser.add_argument_group("AWS access (with --api-url)"))
    parser.set_defaults(handler=run)


def _rerun_remotely(args: argparse.Namespace) -> int:
    from sweeplib.aws import aws_session
    from sweeplib.client import SweepClient, normalize_api_url

    normalize_api_url(args.api_url)  # before the credential chain is consulted
    client = SweepClient(
        args.api_url, session=aws_session(profile=args.profile, region=args.region)
    )
    answer = client.rerun(args.run_id, args.rerun_id)
    shards = answer.get("shards") or []
    print(
        f"run {args.run_id} ({answer.get('run_date')}): "
        + (f"{len(shards)} shard(s) re-enqueued" if shards else "nothing to rerun")
        + (" (replayed: sent before)" if answer.get("replayed") else "")
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.api_url is not None:
        return _rerun_remotely(args)
    if args.rerun_id is not None:
        raise InvalidRequest("--rerun-id", "only applies with --api-url")
    dispatcher = LocalDispatcher(
        args.data_dir, workers=positive_workers(args.workers), progress=not args.no_progress
    )
    store = LocalObjectStore(args.data_dir)
    store.remove_stale_temporaries()  # of writes killed mid-way (older than an hour)
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
