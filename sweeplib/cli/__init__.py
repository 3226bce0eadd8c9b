"""The ``sweep`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the
module adds its parser and sets ``handler`` (a function ``(args) -> int``).
Errors from the library are turned into exit codes here, in one place:
``InvalidRequest`` (bad input) and ``RunConflict`` (run id taken by another
request) → 2, any other ``SweepError`` → 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sweeplib.errors import InvalidRequest, RunConflict, SweepError

__all__ = ["build_parser", "main"]

# Subcommand modules, in the order `sweep --help` lists them.
_COMMANDS = (
    "design",
    "plan",
    "run",
    "submit",
    "status",
    "cancel",
    "rerun",
    "compact",
    "export",
    "query",
    "athena-bootstrap",
    "report",
    "simulate",
)


# Commands whose module name differs from the command name.
_MODULES = {"athena-bootstrap": "athena"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep",
        description="Plan, run and analyse parameter sweeps of the ride-hailing simulation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        module = __import__(f"sweeplib.cli.{_MODULES.get(name, name)}", fromlist=["register"])
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except InvalidRequest as error:
        print(f"sweep {args.command}: invalid {error.field}: {error.reason}", file=sys.stderr)
        return 2
    except RunConflict as error:
        print(f"sweep {args.command}: {error}", file=sys.stderr)
        return 2
    except SweepError as error:
        print(f"sweep {args.command}: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`sweep plan --json … | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
