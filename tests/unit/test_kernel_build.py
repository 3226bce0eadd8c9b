"""Which kernel build runs, and the build's module list (ADR 0020)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sweeplib.sim import COMPILED_MODULES, kernel_build
from tests.kernel_builds import KERNEL_DIR, stale_compiled_modules

ROOT = Path(__file__).resolve().parents[2]


def _setup_not_compiled() -> set[str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "NOT_COMPILED":
            call = node.value
            assert isinstance(call, ast.Call)
            return set(ast.literal_eval(call.args[0]))
    raise AssertionError("setup.py has no NOT_COMPILED")


def test_setup_compiles_exactly_the_listed_kernel_modules():
    sources = {path.name for path in KERNEL_DIR.glob("*.py")}
    compiled = {name.removesuffix(".py") for name in sources - _setup_not_compiled()}
    assert compiled == set(COMPILED_MODULES)
    assert list(COMPILED_MODULES) == sorted(COMPILED_MODULES)


def test_forced_pure_kernel_reports_pure():
    code = (
        "from tests.kernel_builds import force_pure_kernel\n"
        "force_pure_kernel()\n"
        "from sweeplib.sim import kernel_build\n"
        "print(kernel_build())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "pure"


def test_this_process_runs_a_whole_build():
    assert kernel_build() in ("compiled", "pure")


def test_a_source_newer_than_the_compiled_module_is_stale(tmp_path):
    for name in COMPILED_MODULES:
        (tmp_path / f"{name}.py").write_text("")
    assert stale_compiled_modules(tmp_path) == []  # nothing compiled: nothing stale
    shim = tmp_path / "movement.cpython-311-x86_64-linux-gnu.so"
    shim.write_bytes(b"")
    os.utime(shim, (1_000_000_000, 1_000_000_000))  # shims are rarely rebuilt
    shared = tmp_path / "_kernel__mypyc.cpython-311-x86_64-linux-gnu.so"
    shared.write_bytes(b"")
    os.utime(shared, (2_000_000_000, 2_000_000_000))
    assert stale_compiled_modules(tmp_path) == []
    os.utime(tmp_path / "movement.py", (2_000_000_100, 2_000_000_100))
    assert stale_compiled_modules(tmp_path) == ["movement.py"]


@pytest.mark.parametrize("mode", ["yes", "2"])
def test_setup_rejects_an_unknown_compile_mode(mode):
    completed = subprocess.run(
        [sys.executable, "setup.py", "--name"],
        cwd=ROOT,
        env={**os.environ, "SWEEPLIB_COMPILE": mode},
        capture_output=True,
        text=True,
    )
    assert completed.returncode != 0 and "SWEEPLIB_COMPILE must be auto, 0 or 1" in completed.stderr
