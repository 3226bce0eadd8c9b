"""``sweep run REQUEST``: accept a request and run all its shards on this machine.

The same path as the Lambda: validate, plan, claim the run id, write ``run_context``,
then execute every not-yet-run shard with the Lambda's worker in a local process pool,
writing the S3 layout under ``--data-dir``. Running the same request again resumes it
(shards already run are not run twice); the same run id with another request is refused.
At the end the committed shards are consolidated into the run-level tables (``sweep
compact``).
"""

from __future__ import annotations

import argparse

from sweeplib import services
from sweeplib.cli._common import add_data_dir, add_workers, positive_workers, read_request
from sweeplib.contracts import parse_sweep_request_json
from sweeplib.local import RunSummary

__all__ = ["exit_code", "register", "run"]

EXIT_SHARDS_FAILED = 1
EXIT_INTERRUPTED = 130


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a sweep request on this machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "exit status: 0 when every shard succeeded or failed only by injection "
            "(failure_injection_shards), 1 when another shard failed, 2 for a bad "
            "request, 130 when interrupted"
        ),
    )
    parser.add_argument("request", metavar="REQUEST", help="request JSON file, or - for stdin")
    add_data_dir(parser)
    add_workers(parser)
    parser.set_defaults(handler=run)


def exit_code(summary: RunSummary, injected: tuple[int, ...]) -> int:
    """0 unless a shard failed for a reason other than injection, or the run was cut short."""
    if summary.interrupted:
        return EXIT_INTERRUPTED
    unexpected = [o for o in summary.shards("failure") if o.shard_id not in injected]
    return EXIT_SHARDS_FAILED if unexpected else 0


def run(args: argparse.Namespace) -> int:
    request = parse_sweep_request_json(read_request(args.request))
    local = services.run_local(
        request,
        data_dir=args.data_dir,
        workers=positive_workers(args.workers),
        progress=not args.no_progress,
    )
    print(local.describe())
    return exit_code(local.summary, request.failure_injection_shards)
