"""`make demo` and `make report` use one local outcome folder, and the demo deletes nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned_commands(*arguments: str) -> list[str]:
    """What ``make -n`` would run (nothing runs), without the venv's own setup."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", *arguments],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if "/sweep " in line or "rm " in line]


def data_dirs(commands: list[str]) -> set[str]:
    return {m.group(1) for c in commands for m in re.finditer(r"--data-dir (\S+)", c)}


@pytest.mark.parametrize("override", [[], ["DATA_DIR=/tmp/elsewhere"]], ids=["default", "set"])
def test_demo_and_report_read_and_write_the_same_folder(override):
    demo = planned_commands("demo", *override)
    report = planned_commands("report", "RUN_ID=demo-run-001", *override)
    assert any(" run examples/demo-request.json" in c for c in demo)
    assert data_dirs(demo) == data_dirs(report) == {override[0][9:] if override else "data"}


def test_the_demo_deletes_no_outcomes():
    assert not [c for c in planned_commands("demo") if c.lstrip().startswith("rm ")]
