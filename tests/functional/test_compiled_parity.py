"""The compiled and the pure-Python kernel write byte-identical Parquet (ADR 0020).

One subprocess runs the parity scenarios (:mod:`tests.parity`) with the mypyc build,
another with the ``.py`` files, at the same commit; every output file must match
byte for byte. Without a compiled kernel in the checkout the test skips, unless
``SWEEPLIB_REQUIRE_COMPILED=1`` (``make test`` sets it, so CI cannot skip it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sweeplib.sim import kernel_build
from tests.parity import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("trip_data.parquet", "snapshot_counts.parquet", "shard_metrics.parquet")


def _require_compiled() -> None:
    build = kernel_build()
    if build == "mixed":
        pytest.fail("some kernel modules are compiled and some are not: run make compile-kernel")
    if build == "pure":
        if os.environ.get("SWEEPLIB_REQUIRE_COMPILED") == "1":
            pytest.fail("SWEEPLIB_REQUIRE_COMPILED=1 but the kernel is not compiled")
        pytest.skip("no compiled kernel in this checkout (make compile-kernel builds one)")


@pytest.mark.slow
def test_compiled_and_pure_kernels_write_identical_parquet(tmp_path):
    _require_compiled()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    runs = {
        build: subprocess.Popen(
            [sys.executable, "-m", "tests.parity", build, str(tmp_path / build)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for build in ("compiled", "pure")
    }
    for build, process in runs.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{build} run failed:\n{output}"
    for name in SCENARIOS:
        compiled, pure = tmp_path / "compiled" / name, tmp_path / "pure" / name
        for output in OUTPUTS:
            assert (compiled / output).read_bytes() == (pure / output).read_bytes(), (name, output)
        compiled_run = json.loads((compiled / "run.json").read_text())
        pure_run = json.loads((pure / "run.json").read_text())
        assert (compiled_run.pop("kernel"), pure_run.pop("kernel")) == ("compiled", "pure")
        assert compiled_run == pure_run, name
    # The scenarios exercise the kernel: most move riders, the large hour at scale.
    large = json.loads((tmp_path / "pure" / "large-first-hour" / "run.json").read_text())
    assert large["events_processed"] > 10_000 and large["trips"] > 100
