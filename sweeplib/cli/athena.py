"""``sweep athena-bootstrap``: create the Athena database and its ten tables.

Renders the shipped DDL (partition projection; see docs/adr/0006) for your bucket and
prefix and runs it statement by statement in Athena. The first statement that does not
succeed stops the bootstrap, printing its query execution id and Athena's reason.
``--print`` shows the SQL without running anything.
"""

from __future__ import annotations

import argparse

from sweeplib.cli._common import add_aws_options
from sweeplib.query.bootstrap import BootstrapFailed, StatementResult, apply_ddl, ddl_statements
from sweeplib.storage import keys

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "athena-bootstrap",
        help="create the Athena database and tables (partition projection)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bucket", required=True, help="results bucket")
    parser.add_argument("--prefix", default=keys.DEFAULT_PREFIX, help="results prefix")
    parser.add_argument("--workgroup", default="primary", help="Athena workgroup")
    parser.add_argument("--output-location", help="s3:// location for query results")
    parser.add_argument(
        "--projection-start-date", default="2026-01-01", help="first run_date to project"
    )
    parser.add_argument("--max-shards", type=int, default=1_000, help="the deployment's MAX_SHARDS")
    add_aws_options(parser)
    parser.add_argument("--print", action="store_true", help="print the SQL, run nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    statements = ddl_statements(
        bucket=args.bucket,
        prefix=args.prefix,
        projection_start_date=args.projection_start_date,
        max_shards=args.max_shards,
    )
    if args.print:
        for name, sql in statements:
            print(f"-- {name}\n{sql.rstrip()};\n")
        return 0
    from sweeplib import aws
    from sweeplib.aws import aws_session

    athena = aws.client("athena", session=aws_session(profile=args.profile, region=args.region))

    def report(result: StatementResult) -> None:
        print(f"{result.statement}: {result.state} (query execution {result.execution_id})")

    try:
        apply_ddl(
            statements,
            athena=athena,
            workgroup=args.workgroup,
            output_location=args.output_location,
            on_result=report,
        )
    except BootstrapFailed as failure:
        print(f"stopped at {failure.statement}: {failure.reason}")
        return 1
    print(f"created database ride_sim_analytics and {len(statements) - 1} tables")
    return 0
