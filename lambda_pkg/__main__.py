"""``python -m lambda_pkg {build,lock}``: the command line of the Lambda builder.

Exit status 0 on success, 1 when the build or lock fails (the message says why), 2 on
usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from lambda_pkg.build import (
    ARCHES,
    DEFAULT_OUTPUT,
    KERNEL_CHOICES,
    LOCK_PATH,
    BuildError,
    build,
    describe,
    find_python312,
    resolve_lock,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lambda_pkg",
        description="Build the sweeplib Lambda zip for the Python 3.12 runtime.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build dist/sweep-lambda.zip")
    build_cmd.add_argument("--arch", choices=sorted(ARCHES), default="x86_64")
    build_cmd.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    build_cmd.add_argument("--python", help="a Python 3.12 interpreter (default: found)")
    build_cmd.add_argument(
        "--staging", type=Path, help="keep the unzipped tree in this new or empty folder"
    )
    build_cmd.add_argument(
        "--kernel",
        choices=KERNEL_CHOICES,
        default="auto",
        help="compiled: the kernel compiled with mypyc (needs a host of --arch); pure: the "
        "pure-Python kernel (same outputs, slower); auto (default): compiled when the host "
        "matches --arch",
    )
    lock_cmd = commands.add_parser(
        "lock", help=f"re-resolve pyproject's Lambda requirements into {LOCK_PATH.name}"
    )
    lock_cmd.add_argument("--python", help="a Python 3.12 interpreter (default: found)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "lock":
            lock = resolve_lock(find_python312(args.python))
            print(f"wrote {LOCK_PATH} ({len(lock.pins)} distributions):")
            for pin in lock.pins:
                print(f"  {pin.name}=={pin.version}")
            return 0
        result = build(
            arch=args.arch,
            output=args.output,
            python=args.python,
            staging=args.staging,
            kernel=args.kernel,
        )
    except BuildError as error:
        print(f"lambda_pkg: error: {error}", file=sys.stderr)
        return 1
    for line in describe(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
