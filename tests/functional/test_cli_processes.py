"""The ``sweep`` command as a process: ``python -m sweeplib.cli`` runs, documents itself
and exits with the codes it promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.factories import DEMO_REQUEST_FILE, REQUEST_FIXTURES


def test_the_console_module_runs_in_a_subprocess():
    ok = subprocess.run(
        [sys.executable, "-m", "sweeplib.cli", "plan", str(DEMO_REQUEST_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "8 points in 4 shards of 2" in ok.stdout.splitlines()

    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "sweeplib.cli",
            "plan",
            str(REQUEST_FIXTURES / "invalid-unknown-dimension.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "invalid dimensions.rider_mood: unknown dimension" in bad.stderr


@pytest.mark.parametrize("command", [[], ["plan"], ["simulate"]])
def test_cli_help_runs(command):
    completed = subprocess.run(
        [sys.executable, "-m", "sweeplib.cli", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: sweep" in completed.stdout
