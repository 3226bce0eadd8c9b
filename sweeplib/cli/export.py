"""``sweep export RUN_ID -o FILE``: a run's points table, unrounded, as Parquet or CSV.

One row per committed point: run_id, shard_id, point_index, design_point, replicate,
seed, status, parameter_fingerprint, selected_dimensions (JSON), one typed column per
dimension of the run, and every ``shard_metrics`` metric at full precision. The run is
consolidated first when its run-level tables are missing or stale (``sweep compact``).
In Python: :func:`sweeplib.analysis.points_frame`.
"""

from __future__ import annotations

import argparse

from sweeplib import services
from sweeplib.cli._common import DEFAULT_DATA_DIR
from sweeplib.cli.compact import existing_data_dir
from sweeplib.errors import InvalidRequest, ObjectNotFound
from sweeplib.storage import LocalObjectStore, keys

__all__ = ["register", "run"]

FORMATS = ("parquet", "csv")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a run's points table to a Parquet or CSV file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 on success, 2 for an unknown run, folder or format",
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    parser.add_argument(
        "--format", default=None, help="parquet or csv (default: from the file's suffix)"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help=f"local outcome folder (default {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--prefix", default=keys.DEFAULT_PREFIX, metavar="PREFIX", help="base key prefix"
    )
    parser.set_defaults(handler=run)


def _format(args: argparse.Namespace) -> str:
    chosen = args.format or args.output.rsplit(".", 1)[-1].lower()
    if chosen not in FORMATS:
        raise InvalidRequest("--format", f"expected one of {', '.join(FORMATS)}, got {chosen!r}")
    return str(chosen)


def run(args: argparse.Namespace) -> int:
    chosen = _format(args)
    store = LocalObjectStore(existing_data_dir(args.data_dir))
    try:
        table = services.export_points(
            store, args.run_id, now=services.utc_now(), prefix=keys.normalize_prefix(args.prefix)
        )
    except ObjectNotFound:
        raise InvalidRequest("run_id", f"no run {args.run_id!r} was accepted here") from None
    if chosen == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, args.output, compression="zstd")
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, args.output)
    print(f"wrote {table.num_rows} point(s) of run {args.run_id} to {args.output} ({chosen})")
    return 0
