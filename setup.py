"""Build hook: compile the simulation kernel with mypyc when it can (ADR 0020).

Everything else about the package lives in pyproject.toml. The kernel modules
(``sweeplib/sim/*.py`` but the lazy ``__init__``, ``outputs`` and ``run``) are compiled
from the same sources that run as plain Python; when they are not compiled, or the
compiled modules are absent, the pure-Python modules run and give the same bytes.

``SWEEPLIB_COMPILE`` chooses:

* ``auto`` (default): compile when building a wheel (``pip install .``, ``pip wheel``,
  ``make package``); skip for editable installs, whose compiled modules would sit in
  the source tree and shadow later edits of the ``.py`` files. A failed compilation
  (no C compiler, no mypyc) leaves the pure-Python package, with a warning.
* ``1``: always compile, editable installs too (``make compile-kernel`` uses it); a
  failure is an error.
* ``0``: never compile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
#: Not compiled: the lazy package ``__init__`` (no hot code; ``sweep simulate`` reads
#: the build from it), and the output assembly (numpy/pyarrow-facing, run once).
NOT_COMPILED = frozenset({"__init__.py", "outputs.py", "params.py", "run.py"})


def kernel_sources() -> list[str]:
    folder = HERE / "sweeplib" / "sim"
    return sorted(
        f"sweeplib/sim/{path.name}" for path in folder.glob("*.py") if path.name not in NOT_COMPILED
    )


def _warn(message: str) -> None:
    print(f"sweeplib setup: {message}", file=sys.stderr)


def ext_modules() -> list[object]:
    mode = os.environ.get("SWEEPLIB_COMPILE", "auto").strip().lower() or "auto"
    if mode not in {"auto", "0", "1"}:
        raise SystemExit(f"SWEEPLIB_COMPILE must be auto, 0 or 1, not {mode!r}")
    if mode == "0":
        return []
    if mode == "auto" and "editable_wheel" in sys.argv:
        _warn("editable install: the kernel runs as pure Python (make compile-kernel compiles)")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        if mode == "1":
            raise SystemExit("SWEEPLIB_COMPILE=1 but mypyc is not installed") from None
        _warn("mypyc is not available: the kernel runs as pure Python")
        return []
    extensions = mypycify(
        ["--config-file", str(HERE / "pyproject.toml"), *kernel_sources()],
        opt_level="3",
        debug_level="0",
        group_name="sweeplib.sim._kernel",
    )
    for extension in extensions:
        # A failed C build skips the module (pure Python runs) instead of failing the
        # install, unless compilation was asked for explicitly.
        extension.optional = mode == "auto"
    return list(extensions)


setup(ext_modules=ext_modules())
