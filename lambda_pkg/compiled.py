"""The compiled kernel in the Lambda zip (ADR 0020, ADR 0021).

:func:`compile_kernel` builds sweeplib's wheel with the target's 3.12 interpreter and
``SWEEPLIB_COMPILE=1`` (setup.py compiles ``sweeplib/sim`` with mypyc) and returns the
extension modules in it; the builder copies them beside the ``.py`` files it already
staged. Only a build on a host of the target's architecture can compile: an arm64 zip
built here (and any ``--kernel pure`` build) carries the pure-Python kernel, which gives
the same bytes, more slowly.

The Lambda python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): the compiled
modules must not need newer symbol versions, nor libraries beyond the C library.
:func:`elf_requirements` reads both from ``readelf`` (binutils, which the strip step
needs anyway); :func:`check_extension` refuses a module that needs more.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "ALLOWED_LIBRARIES",
    "BUILD_TOOLS",
    "MAX_GLIBC",
    "ElfRequirements",
    "check_extension",
    "compile_kernel",
    "elf_requirements",
    "kernel_modules",
    "parse_readelf",
    "write_modules",
]

#: The tools the kernel is compiled with, pinned: the generated C depends on mypyc's
#: version, and the zip must be reproducible from the same inputs. (numpy, whose
#: annotations mypyc reads, is pinned to the lock's version by the caller.)
BUILD_TOOLS: Final = ("mypy==2.4.1", "setuptools==80.9.0")
#: Amazon Linux 2023's glibc, under the Lambda python3.12 runtime.
MAX_GLIBC: Final = (2, 34)
#: Shared libraries a compiled module may link: the C library (the interpreter
#: provides every Python symbol).
ALLOWED_LIBRARIES: Final = frozenset({"libc.so.6", "libm.so.6", "libpthread.so.0"})
#: What setup.py needs besides the package to build the wheel.
_BUILD_INPUTS: Final = ("pyproject.toml", "setup.py", "README.md")

_NEEDED: Final = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_GLIBC: Final = re.compile(r"Name: GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ElfRequirements:
    """What an ELF file needs from the system it loads on."""

    libraries: frozenset[str]
    glibc: tuple[int, ...] | None  # the newest GLIBC_x.y symbol version, None if none

    def problems(self) -> list[str]:
        found = []
        if self.glibc is not None and self.glibc[:2] > MAX_GLIBC:
            found.append(
                f"needs glibc {'.'.join(map(str, self.glibc))} > "
                f"{'.'.join(map(str, MAX_GLIBC))} (Lambda's Amazon Linux 2023)"
            )
        extra = sorted(self.libraries - ALLOWED_LIBRARIES)
        if extra:
            found.append(f"links {', '.join(extra)} (only the C library is allowed)")
        return found


def parse_readelf(text: str) -> ElfRequirements:
    """``readelf --dynamic --version-info --wide`` output → :class:`ElfRequirements`.

    Symbol versions are read from the version *needs* section (``.gnu.version_r``)
    only: a library's own version definitions are not requirements.
    """
    libraries = frozenset(_NEEDED.findall(text))
    _, found, needs = text.partition("Version needs section")
    versions = []
    if found:
        # The needs section runs until the next section header (or the end).
        block = re.split(r"\n(?=Version \w+ section|Symbol table|Dynamic section)", needs)[0]
        versions = [
            tuple(int(p) for p in m.groups() if p is not None) for m in _GLIBC.finditer(block)
        ]
    return ElfRequirements(libraries, max(versions) if versions else None)


def elf_requirements(path: Path) -> ElfRequirements:
    """Read ``path``'s needed libraries and newest glibc symbol version with readelf."""
    completed = subprocess.run(
        ["readelf", "--dynamic", "--version-info", "--wide", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"readelf failed on {path}: {completed.stderr.strip()}")
    return parse_readelf(completed.stdout)


def check_extension(path: Path) -> list[str]:
    """Why the compiled module at ``path`` would not load on Lambda (empty: it would)."""
    return elf_requirements(path).problems()


def _snapshot(root: Path, destination: Path) -> None:
    """The build's inputs: setup.py, pyproject, README and the package, no build output."""
    destination.mkdir(parents=True)
    for name in _BUILD_INPUTS:
        shutil.copy2(root / name, destination / name)
    shutil.copytree(
        root / "sweeplib",
        destination / "sweeplib",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", ".compiled"),
    )


def compile_kernel(
    python: str,
    root: Path,
    run: Callable[..., str],
    env: Mapping[str, str],
    pins: Iterable[str] = (),
) -> dict[str, bytes]:
    """Build sweeplib's wheel with ``python`` and return its extension modules.

    Parameters
    ----------
    python
        The Lambda runtime's interpreter version (3.12); the modules are built for it.
    root
        The source tree (pyproject.toml, setup.py, README.md, sweeplib/).
    run
        ``run(command, what=..., env=...)``: the builder's subprocess runner, raising
        its error with the output's tail on failure.
    env
        The environment for pip (the builder's clean one).
    pins
        More build-time constraints (``name==version``) besides :data:`BUILD_TOOLS`.

    Returns
    -------
    dict
        Archive path (``sweeplib/sim/….cpython-312-….so``) → file contents.
    """
    with tempfile.TemporaryDirectory(prefix="sweep-kernel-") as scratch:
        source, wheels = Path(scratch) / "src", Path(scratch) / "wheels"
        _snapshot(root, source)
        constraints = Path(scratch) / "build-tools.txt"
        constraints.write_text("\n".join([*BUILD_TOOLS, *pins]) + "\n")
        run(
            [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels),
             str(source)],
            what="compiling the kernel (mypyc, pip wheel with 3.12)",
            env={**env, "SWEEPLIB_COMPILE": "1", "PIP_CONSTRAINT": str(constraints)},
        )  # fmt: skip
        (wheel,) = wheels.glob("sweeplib-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            return {
                name: archive.read(name)
                for name in sorted(archive.namelist())
                if name.startswith("sweeplib/") and name.endswith(".so")
            }


def write_modules(modules: Mapping[str, bytes], staging: Path) -> list[Path]:
    """Place compiled modules in the staging tree (mode 0755, like pip installs them)."""
    placed = []
    for name, data in modules.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755)
        placed.append(path)
    return placed


def kernel_modules(names: Iterable[str]) -> list[str]:
    """The compiled kernel's modules among the staged paths."""
    return sorted(n for n in names if n.startswith("sweeplib/") and n.endswith(".so"))
