"""What a fresh interpreter loads when it imports a part of sweeplib: the cold start of
the Lambda's API path, the CLI and the client stay free of what they do not need.

Each test runs ``python -c`` in a new process, so nothing this test session imported
counts.
"""

from __future__ import annotations

import subprocess
import sys


def fresh_interpreter(code: str) -> str:
    """What ``code`` prints in a new interpreter (this one's), stripped."""
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def test_importing_sweeplib_does_not_import_boto3():
    code = (
        "import sys, sweeplib, sweeplib.contracts, sweeplib.planning, sweeplib.storage, "
        "sweeplib.dispatch; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    assert fresh_interpreter(code) == "[]"


def test_importing_the_client_and_the_cli_does_not_import_boto3():
    code = (
        "import sys, sweeplib.client, sweeplib.cli; sweeplib.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    assert fresh_interpreter(code) == "[]"


def test_the_handler_imports_without_pyarrow_numpy_or_the_kernel():
    """The Lambda's API path starts cold without the heavy libraries (issue 7 target); of the
    kernel it loads only the parameter table the request validators share (stdlib)."""
    code = (
        "import sys, sweeplib.handler\n"
        "heavy = [m for m in ('pyarrow', 'numpy', 'h3', 'sweeplib.sim.engine', 'sweeplib.worker',"
        " 'boto3')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    assert fresh_interpreter(code) == ""


def test_the_cli_imports_no_notebook_machinery_until_a_report_runs():
    code = (
        "import sys; from sweeplib.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('pandas', 'papermill', 'matplotlib', 'nbconvert', "
        "'sweeplib.analysis', 'sweeplib.reports') if m in sys.modules))"
    )
    assert fresh_interpreter(code) == "[]"
