"""``sweep query``: Athena-dialect SQL over the local outcome folder (DuckDB).

The tables are there under their Athena names (``ride_sim_analytics.sweep_shard_outcomes``,
…, partition columns as strings). SQL is transpiled from Athena's dialect, so the same text
runs in Athena. Named queries ship with sweeplib (``--named``, see ``--list``); their
``:name`` parameters are bound with ``--param name=value`` (``:point_indexes`` is filled
in from the run's committed shards).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from sweeplib.cli._common import add_data_dir, print_table
from sweeplib.errors import InvalidRequest
from sweeplib.query.named import bind_parameters, named_query, named_query_names, run_named

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "query",
        help="run Athena-dialect SQL over the local tables",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sql", nargs="?", metavar="SQL", help="the statement (Athena dialect)")
    parser.add_argument("--named", metavar="NAME", help="run a named query instead")
    parser.add_argument("--file", metavar="FILE", help="read the statement from a file")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind :NAME in the statement (values are strings unless they are integers)",
    )
    parser.add_argument("--list", action="store_true", help="list the named queries")
    add_data_dir(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="CSV on stdout")
    output.add_argument("--json", action="store_true", help="a JSON array of rows on stdout")
    parser.set_defaults(handler=run)


def _parameters(assignments: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise InvalidRequest("--param", f"expected NAME=VALUE, got {text!r}")
        values[name] = int(value) if value.lstrip("-").isdigit() else value
    return values


def _statement(args: argparse.Namespace) -> str:
    given = [x for x in (args.sql, args.named, args.file) if x is not None]
    if len(given) != 1:
        raise InvalidRequest("query", "give exactly one of SQL, --named NAME or --file FILE")
    if args.named:
        return named_query(args.named)
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise InvalidRequest(
                f"--file {args.file}", f"cannot be read: {error.strerror}"
            ) from None
    return str(args.sql)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name in named_query_names():
            print(name)
        return 0
    from sweeplib.cli.compact import existing_data_dir
    from sweeplib.query import DuckDBQueryEngine

    existing_data_dir(args.data_dir)
    values = _parameters(args.param)
    if args.named:
        named_query(args.named)  # unknown names fail before the engine starts
        with DuckDBQueryEngine(args.data_dir) as engine:
            table = run_named(engine, args.named, values)
    else:
        sql = bind_parameters(_statement(args), values)
        with DuckDBQueryEngine(args.data_dir) as engine:
            table = engine.execute(sql)
    rows = table.to_pylist()
    if args.json:
        json.dump(rows, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    elif args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(table.column_names)
        writer.writerows([row[c] for c in table.column_names] for row in rows)
    else:
        print_table(rows, table.column_names)
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return 0
