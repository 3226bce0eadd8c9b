"""The two builds of the kernel in one checkout: mypyc-compiled and pure Python (ADR 0020).

``make compile-kernel`` puts the compiled extension modules beside the ``.py`` files,
where the import system prefers them. :func:`force_pure_kernel` makes this process
load the ``.py`` files instead (the parity test runs one process each way), and
:func:`stale_compiled_modules` lets the test session refuse a build older than its
sources.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from sweeplib.sim import COMPILED_MODULES

__all__ = ["KERNEL_DIR", "compiled_files", "force_pure_kernel", "stale_compiled_modules"]

KERNEL_DIR = Path(__file__).resolve().parents[1] / "sweeplib" / "sim"


def compiled_files(folder: Path = KERNEL_DIR) -> list[Path]:
    """The extension modules of the compiled kernel present in ``folder``."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(path for path in folder.iterdir() if path.name.endswith(suffixes))


def stale_compiled_modules(folder: Path = KERNEL_DIR) -> list[str]:
    """Kernel sources edited after the compiled kernel was built (empty if none is).

    The code of every module lives in the one shared library (``_kernel__mypyc``); the
    per-module shims are only rebuilt when the module list changes, so the newest
    compiled file dates the build.
    """
    built = compiled_files(folder)
    if not built:
        return []
    newest = max(path.stat().st_mtime for path in built)
    return [
        f"{name}.py"
        for name in COMPILED_MODULES
        if (folder / f"{name}.py").stat().st_mtime > newest
    ]


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the kernel modules as their ``.py`` files, ignoring compiled ones."""

    def __init__(self, names: Sequence[str], folder: Path) -> None:
        self._paths = {f"sweeplib.sim.{name}": folder / f"{name}.py" for name in names}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        source = self._paths.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def force_pure_kernel(folder: Path = KERNEL_DIR) -> None:
    """Make this process import the pure-Python kernel even where a compiled one exists.

    Must run before any kernel module is imported.
    """
    loaded = [
        f"sweeplib.sim.{name}" for name in COMPILED_MODULES if f"sweeplib.sim.{name}" in sys.modules
    ]
    if loaded:
        raise RuntimeError(f"kernel modules already imported: {loaded}")
    sys.meta_path.insert(0, _SourceFirst(COMPILED_MODULES, folder))
