"""``sweep cancel RUN_ID``: stop a run; what committed stays, ``sweep rerun`` resumes it.

Marks the run cancelled beside its submission record, in a local folder (``--data-dir``,
the default) or an S3 bucket (``--bucket``; needs ``s3:PutObject`` on the results prefix).
Every worker reads the mark — the local pool of a ``sweep run`` still running, and the
Lambda's shard workers: a shard not started yet writes a ``cancelled`` failure record
instead of running, a running one stops after its current point. Shards that committed
keep their data. ``sweep status`` shows the run as cancelled; ``sweep rerun RUN_ID``
clears the mark and runs the cancelled and missing shards. Against a deployment the API's
``POST /sweep-run/{run_id}/cancel`` does the same (``sweeplib.client``).
"""

from __future__ import annotations

import argparse

from sweeplib import services
from sweeplib.cli._common import add_aws_options
from sweeplib.cli.status import _open_store
from sweeplib.storage import keys

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "cancel",
        help="cancel a run: no further shard runs; rerun resumes it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 cancelled (or already), 1 unknown run, 2 bad arguments",
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", default=None, metavar="DIR", help="local outcome folder")
    where.add_argument("--bucket", metavar="BUCKET", help="the deployment's results bucket")
    where.add_argument(
        "--api-url",
        metavar="URL",
        help="cancel through the deployed API (POST /sweep-run/{run_id}/cancel, SigV4)",
    )
    parser.add_argument(
        "--prefix",
        default=keys.DEFAULT_PREFIX,
        metavar="PREFIX",
        help=f"base key prefix of the outcomes (default {keys.DEFAULT_PREFIX})",
    )
    add_aws_options(parser.add_argument_group("AWS access (with --bucket or --api-url)"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.api_url is not None:
        from sweeplib.aws import aws_session
        from sweeplib.client import SweepClient, normalize_api_url

        normalize_api_url(args.api_url)  # before the credential chain is consulted
        client = SweepClient(
            args.api_url, session=aws_session(profile=args.profile, region=args.region)
        )
        answer = client.cancel(args.run_id)
        print(
            f"run {answer.get('run_id')} ({answer.get('run_date')}) is cancelled: no further "
            f"shard runs; `sweep rerun` resumes it"
        )
        return 0
    store, where = _open_store(args)
    submission = services.cancel(store, args.run_id, now=services.utc_now(), prefix=args.prefix)
    print(
        f"run {submission.run_id} ({submission.run_date}) in {where} is cancelled: "
        f"no further shard runs; `sweep rerun {submission.run_id}` resumes it"
    )
    return 0
