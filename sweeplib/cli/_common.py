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
    """Rows as a plain fixed-width table (tabulate's ``simple`` format: numbers
    right-aligned, floats to 6 significant digits, nulls blank)."""
    from tabulate import tabulate

    def shown(value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        return value

    def is_number(value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    # Alignment from the values' types, never from parsing text: a run id "1e5" stays text.
    numeric = [bool(rows) and all(is_number(r[c]) or r[c] is None for r in rows) for c in columns]
    cells = [
        [f"{v:.6g}" if isinstance(v, float) else shown(v) for v in (row[c] for c in columns)]
        for row in rows
    ]
    print(
        tabulate(
            cells,
            headers=list(columns),
            tablefmt="simple",
            missingval="",
            disable_numparse=True,
            colalign=["right" if n else "left" for n in numeric] if columns else None,
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
