"""``sweep submit REQUEST --api-url URL``: submit a sweep request to a deployed API.

The request is validated on this machine first (every value of every dimension); a bad
one is refused without any network call. It is then POSTed to ``{URL}/sweep-run``,
signed with your AWS credentials (SigV4, service ``execute-api``; the identity needs
``execute-api:Invoke`` on the API). Submitting the same request again is safe: it is
answered as a replay, and it enqueues whatever an interrupted submission left out.
"""

from __future__ import annotations

import argparse
import json
import sys

from sweeplib.cli._common import add_aws_options, read_request
from sweeplib.contracts import parse_sweep_request_json

__all__ = ["EXIT_INCOMPLETE", "register", "run"]

#: Exit status when the run was accepted but some shards could not be enqueued.
EXIT_INCOMPLETE = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="submit a sweep request to the deployed API",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "exit status: 0 accepted (or replayed), 1 accepted but some shards not "
            "enqueued (submit again) or any other failure, 2 invalid request or run id "
            "taken by another request"
        ),
    )
    parser.add_argument("request", metavar="REQUEST", help="request JSON file, or - for stdin")
    parser.add_argument(
        "--api-url",
        required=True,
        metavar="URL",
        help="the API's invoke URL with its stage, e.g. "
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
    )
    add_aws_options(parser)
    parser.add_argument("--json", action="store_true", help="print the API's answer as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: every `sweep` command imports this module, few need the client.
    from sweeplib.aws import aws_session
    from sweeplib.client import SUBMIT_CHECK_LIMITS, SweepClient, normalize_api_url
    from sweeplib.errors import SubmitIncomplete

    body = read_request(args.request)
    if isinstance(body, str):
        body = body.encode("utf-8")
    # Refused here, before credentials are looked up or anything is sent.
    run_id = parse_sweep_request_json(body, SUBMIT_CHECK_LIMITS).run_id
    normalize_api_url(args.api_url)  # before the credential chain is consulted
    client = SweepClient(
        args.api_url, session=aws_session(profile=args.profile, region=args.region)
    )
    try:
        result = client.submit(body)
    except SubmitIncomplete as error:
        if args.json:
            print(
                json.dumps(
                    {
                        "error": "dispatch_incomplete",
                        "message": error.message,
                        "run_id": error.run_id,
                        "dispatched": list(error.dispatched),
                        "not_dispatched": list(error.not_dispatched),
                    },
                    indent=2,
                )
            )
        missing = ", ".join(str(s) for s in error.not_dispatched) or "(not listed)"
        print(
            f"sweep submit: run {error.run_id} was accepted, but "
            f"{len(error.not_dispatched)} shard(s) could not be enqueued: {missing}; "
            f"{len(error.dispatched)} shard(s) are enqueued. Submit the same request again "
            "to enqueue the rest.",
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    if args.json:
        print(json.dumps({**result.body, "replayed": result.replayed}, indent=2))
        return 0
    print(result.describe())
    print(
        f"follow it with: sweep status {run_id} --bucket BUCKET --watch"
        + (f" --region {client.region}" if args.region else "")
    )
    return 0
