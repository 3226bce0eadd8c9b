"""Pieces shared by the ``sweep`` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sweeplib.errors import InvalidRequest

DEFAULT_DATA_DIR = "./data"


def read_request(path: str) -> str | bytes:
    """The request text of a file, or of stdin for ``-``."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InvalidRequest(f"request file {path}", f"cannot be read: {error.strerror}") from None


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help=f"local outcome folder, laid out like the S3 bucket (default {DEFAULT_DATA_DIR})",
    )


def add_workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: this machine's CPUs)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def positive_workers(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise InvalidRequest("--workers", f"must be >= 1, got {value}")
    return value


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as a plain fixed-width table (numbers right-aligned)."""

    def shown(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.6g}"
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    cells = [[shown(row[c]) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row[c], int | float) or row[c] is None for row in rows) and bool(rows)
        for c in columns
    ]
    print(
        "  ".join(
            c.rjust(w) if n else c.ljust(w)
            for c, w, n in zip(columns, widths, numeric, strict=True)
        )
    )
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(
            "  ".join(
                v.rjust(w) if n else v.ljust(w) for v, w, n in zip(r, widths, numeric, strict=True)
            )
        )


def add_aws_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--region`` and ``--profile`` (shared with ``sweep status --bucket``)."""
    parser.add_argument(
        "--region", metavar="REGION", help="AWS region (default: from the profile/environment)"
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="AWS profile for credentials (default: the usual chain)"
    )
