"""``sweep report RUN_ID``: execute a report notebook with papermill, save it and its HTML.

Runs ``notebooks/run_report.ipynb`` (or ``--notebook``) for the run in a kernel running
this interpreter, then writes the executed notebook and an HTML export **without code
cells** to ``--output-dir`` as ``{notebook}_{RUN_ID}_{YYYY-MM-DD}.ipynb`` / ``.html``
(today's date, UTC: rerunning on the same day replaces the report).

The local backend (default) queries ``--data-dir`` with DuckDB; ``--backend athena``
queries Athena (``--database``, ``--workgroup``, ``--output-location``; credentials from
the usual AWS chain). ``-p NAME=VALUE`` sets any other parameter the notebook declares
(values are JSON when they parse, else text), e.g. for the comparison notebook:
``sweep report nightly-0412 --notebook compare_runs -p run_a=baseline -p run_b=nightly-0412``,
and for the sensitivity analysis of a sampled design: ``sweep report RUN_ID --notebook
sensitivity``. The design notebook makes its run, so RUN_ID may be new there:
``sweep report grid-7 --notebook design_sweep -p 'dimensions={"num_riders": [100, 200]}'
-p shard_size=1 -p execute=true``.
"""

from __future__ import annotations

import argparse
import sys

from sweeplib.cli._common import DEFAULT_DATA_DIR

__all__ = ["EXIT_NOTEBOOK_FAILED", "register", "run"]

#: Exit status when a cell of the notebook raised (the executed notebook is still written).
EXIT_NOTEBOOK_FAILED = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="run a report notebook (papermill) and export it to HTML",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "exit status: 0 report written, 1 a notebook cell failed (its number is "
            "printed), 2 bad arguments (unknown run, notebook or parameter)"
        ),
    )
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument(
        "--backend", choices=("local", "athena"), default="local", help="default: local"
    )
    parser.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help=(
            f"local outcome folder, relative to this directory (local backend; default "
            f"{DEFAULT_DATA_DIR}; passed to the notebook absolute)"
        ),
    )
    athena = parser.add_argument_group("Athena (with --backend athena)")
    athena.add_argument("--database", metavar="NAME", help="Glue database (notebook default)")
    athena.add_argument("--workgroup", metavar="NAME", help="Athena workgroup (notebook default)")
    athena.add_argument(
        "--output-location", metavar="S3_URI", help="s3://… for query results (workgroup's)"
    )
    parser.add_argument(
        "--notebook",
        default="run_report",
        metavar="NAME|PATH",
        help=(
            "run_report (default), compare_runs, sensitivity, design_sweep, or a path to an .ipynb"
        ),
    )
    parser.add_argument(
        "--output-dir", default="reports", metavar="DIR", help="where to write (default reports)"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another parameter of the notebook (repeatable)",
    )
    parser.add_argument(
        "--cell-timeout", type=float, default=None, metavar="S", help="seconds per cell"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: papermill and friends are the notebooks extra, and every `sweep`
    # command imports this module to build the parser.
    from sweeplib.errors import InvalidRequest

    try:
        from sweeplib.reports import ReportFailed, parse_parameter, render_report
    except ImportError as error:
        raise InvalidRequest(
            "report", f"needs the notebooks extra (pip install 'sweeplib[notebooks]'): {error}"
        ) from None
    if args.cell_timeout is not None and not args.cell_timeout > 0:
        raise InvalidRequest("--cell-timeout", f"must be > 0, got {args.cell_timeout}")
    parameters = dict(parse_parameter(text) for text in args.parameter)
    try:
        files = render_report(
            args.run_id,
            backend=args.backend,
            data_dir=args.data_dir,
            database=args.database,
            workgroup=args.workgroup,
            output_location=args.output_location,
            notebook=args.notebook,
            output_dir=args.output_dir,
            parameters=parameters,
            cell_timeout_s=args.cell_timeout,
        )
    except ReportFailed as failure:
        print(f"sweep report: {failure}", file=sys.stderr)
        return EXIT_NOTEBOOK_FAILED
    print(f"notebook: {files.notebook}")
    print(f"html:     {files.html}")
    return 0
