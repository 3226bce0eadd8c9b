"""The import rules are enforced, not just described (pyproject.toml holds them).

* ruff's banned-API rule (TID251) keeps boto3, botocore, awswrangler and duckdb inside
  their adapter modules;
* import-linter's contracts keep the kernel free of I/O and of the rest of sweeplib, keep
  ``errors``/``checks`` leaves and the pure core free of I/O, and layer the shells over
  the service layer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_sdks_stay_in_their_adapters():
    completed = subprocess.run(
        [str(BIN / "ruff"), "check", "--select", "TID251", "--no-cache", "sweeplib", "lambda_pkg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_import_linter_contracts_are_kept():
    completed = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout
