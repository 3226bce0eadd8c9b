"""What the Lambda runtime never loads, and which files get stripped: pure path rules.

Paths are POSIX paths relative to the staging folder (the future ``/var/task``), e.g.
``"pyarrow/libarrow_flight.so.2600"``. :func:`plan_trim` maps every file to drop to the
reason, so the build can print a summary and the tests can assert on single rules.

Kept on purpose: the pyarrow libraries ``lib.cpython-*.so`` links against (libarrow,
compute, acero, dataset, parquet, substrait: removing any breaks ``import pyarrow``),
the ``_dataset``/``_csv``/``_json`` extensions (``pyarrow.dataset`` imports them and
``pyarrow.parquet.read_table`` uses it), ``numpy.testing`` (tiny, imported lazily by
third parties), and every ``*.dist-info`` (``RECORD`` then lists a few trimmed files,
which only matters to ``pip uninstall``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "SOURCE_PACKAGE",
    "is_pyarrow_shared_library",
    "is_strippable",
    "plan_trim",
    "trim_reason",
]

#: The first-party package: copied as is (its own rules live in the builder).
SOURCE_PACKAGE: Final = "sweeplib"

# Top-level folders pip --target creates for wheels' data and scripts: h3's static
# libh3.a + CMake files + headers, numpy's f2py/numpy-config console scripts (whose
# shebang names the build machine's interpreter), jmespath's jp.py.
_TOP_LEVEL_DIRS: Final = frozenset({"bin", "include", "lib", "lib64", "share"})

# Any folder of these names in a third-party package: test suites, stale bytecode.
_DIR_NAMES: Final[Mapping[str, str]] = {
    "tests": "test suite",
    "__pycache__": "bytecode of another interpreter (recompiled with 3.12)",
}

_SUFFIXES: Final[Mapping[str, str]] = {
    ".h": "C/C++ header",
    ".hpp": "C/C++ header",
    ".hh": "C/C++ header",
    ".c": "C/C++ source",
    ".cc": "C/C++ source",
    ".cpp": "C/C++ source",
    ".pyx": "Cython source",
    ".pxd": "Cython declarations",
    ".pxi": "Cython include",
    ".pyi": "type stub (read by type checkers only)",
    ".a": "static library (link time only)",
    ".pc": "pkg-config file",
    ".cmake": "CMake file",
    ".pyc": "bytecode of another interpreter (recompiled with 3.12)",
    ".pyo": "bytecode of another interpreter (recompiled with 3.12)",
}

_PREFIXES: Final[Mapping[str, str]] = {
    "pyarrow/include/": "C++ headers",
    "pyarrow/includes/": "Cython declarations",
    "pyarrow/src/": "C++ sources of libarrow_python",
    "pyarrow/conftest.py": "test suite",
    "numpy/_core/include/": "C headers",
    "numpy/_core/lib/": "static npymath library and pkg-config (build time only)",
    "numpy/f2py/": "Fortran wrapper generator (build time only; numpy imports it lazily)",
    "numpy/_pyinstaller/": "PyInstaller hooks",
    "numpy/_core/_simd.": "numpy SIMD test module (only numpy's own tests import it)",
    # C extension modules of numpy's own test suite (nothing outside numpy/*/tests and
    # numpy/testing/print_coercion_tables.py, a script, imports them).
    **{
        f"numpy/_core/_{name}_tests.": "numpy C test module (only numpy's own tests import it)"
        for name in ("multiarray", "operand_flag", "rational", "struct_ufunc", "umath")
    },
    "numpy/conftest.py": "test suite",
    # numpy imports these lazily, on attribute access; nothing the Lambda runs touches
    # them (the kernel draws from its own streams), checked by the artifact smoke test.
    "numpy/random/": "numpy.random (the kernel has its own streams; imported lazily)",
    "numpy/fft/": "numpy.fft (imported lazily, never used)",
    "numpy/polynomial/": "numpy.polynomial (imported lazily, never used)",
    # The handler uses Powertools' Logger and the batch utility (with its data classes
    # and jmespath helpers); it routes API Gateway events itself.
    "aws_lambda_powertools/event_handler/": "Powertools event handler (unused: own routing)",
    **{
        f"aws_lambda_powertools/utilities/{name}/": f"Powertools {name} utility (unused)"
        for name in (
            "auth_alpha",
            "circuit_breaker",
            "data_masking",
            "feature_flags",
            "idempotency",
            "kafka",
            "parameters",
            "parser",
            "streaming",
            "validation",
        )
    },
}

# Optional pyarrow components, matched against file names directly inside pyarrow/.
# The extension modules are imported only on request (pyarrow.fs and pyarrow.dataset
# wrap their remote-file-system and ORC imports in try/except ImportError).
_PYARROW_COMPONENTS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "pyarrow Flight (RPC)",
        re.compile(r"(_flight\..*\.so|flight\.py|libarrow(_python)?_flight\.so.*)"),
    ),
    ("pyarrow Gandiva", re.compile(r".*gandiva.*")),
    ("pyarrow CUDA", re.compile(r"(_cuda\..*\.so|cuda\.py|libarrow_cuda\.so.*)")),
    ("pyarrow Substrait bindings", re.compile(r"(_substrait\..*\.so|substrait\.py)")),
    ("pyarrow ORC", re.compile(r"(_orc\..*\.so|orc\.py|_dataset_orc\..*\.so)")),
    (
        "pyarrow remote file systems (sweeplib talks to S3 through boto3)",
        re.compile(
            r"(_s3fs\..*\.so|libarrow_s3\.so.*|_gcsfs\..*\.so|_azurefs\..*\.so|_hdfs\..*\.so)"
        ),
    ),
    (
        # pyarrow.dataset imports its encryption module in a try/except ImportError;
        # pyarrow.parquet never imports pyarrow.parquet.encryption itself.
        "pyarrow Parquet encryption (sweeplib writes plain Parquet)",
        re.compile(
            r"(_parquet_encryption\..*\.so|_dataset_parquet_encryption\..*\.so"
            r"|libarrow_python_parquet_encryption\.so.*)"
        ),
    ),
    ("pyarrow Feather format", re.compile(r"(_feather\..*\.so|feather\.py)")),
    ("pyarrow C++ test hooks", re.compile(r"_pyarrow_cpp_tests\..*\.so")),
    ("pyarrow JVM bridge (needs jpype)", re.compile(r"jvm\.py")),
)

_SHARED_LIBRARY: Final = re.compile(r"[^/]+\.so(\.\d+)*")
# libX.so and libX.so.N.M.P are byte-identical copies of the SONAME file libX.so.N
# (wheels cannot hold symlinks); the dynamic loader only ever opens libX.so.N.
_UNVERSIONED: Final = re.compile(r"(lib[\w-]+)\.so")
_FULL_VERSION: Final = re.compile(r"(lib[\w-]+)\.so\.(\d+)\.\d+\.\d+")
_SONAME: Final = re.compile(r"(lib[\w-]+)\.so\.\d+")


def trim_reason(path: str) -> str | None:
    """Why ``path`` is left out of the artifact, or ``None`` to keep it.

    Parameters
    ----------
    path
        POSIX path relative to the staging folder.

    Returns
    -------
    str or None
        A short reason (``"test suite"``, ``"pyarrow Flight (RPC)"``, …).
    """
    parts = path.split("/")
    if len(parts) > 1 and parts[0] in _TOP_LEVEL_DIRS:
        return f"wheel data/scripts folder {parts[0]}/ (never imported)"
    if parts[0] == SOURCE_PACKAGE:
        return _DIR_NAMES["__pycache__"] if "__pycache__" in parts[:-1] else None
    for part in parts[:-1]:
        if part in _DIR_NAMES:
            return _DIR_NAMES[part]
    for prefix, reason in _PREFIXES.items():
        if path.startswith(prefix):
            return reason
    name = parts[-1]
    for suffix, reason in _SUFFIXES.items():
        if name.endswith(suffix):
            return reason
    if len(parts) == 2 and parts[0] == "pyarrow":
        for reason, pattern in _PYARROW_COMPONENTS:
            if pattern.fullmatch(name):
                return reason
    return None


def _duplicate_library_copies(paths: Iterable[str]) -> dict[str, str]:
    """``libX.so`` / ``libX.so.N.M.P`` copies of a present SONAME file ``libX.so.N``."""
    paths = list(paths)
    sonames: dict[tuple[str, str], str] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        match = _SONAME.fullmatch(name)
        if match:
            sonames[(folder, match.group(1))] = name
    found = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        for pattern in (_UNVERSIONED, _FULL_VERSION):
            match = pattern.fullmatch(name)
            if match and (folder, match.group(1)) in sonames:
                soname = sonames[(folder, match.group(1))]
                found[path] = f"duplicate copy of {soname} (the loader opens the SONAME)"
    return found


def plan_trim(paths: Iterable[str]) -> dict[str, str]:
    """Every path of ``paths`` to drop, mapped to its reason.

    Applies :func:`trim_reason` to each path and, inside ``pyarrow/``, drops the
    duplicate copies of versioned shared libraries.
    """
    paths = sorted(paths)
    plan = {p: r for p in paths if (r := trim_reason(p)) is not None}
    pyarrow_files = [p for p in paths if p.startswith("pyarrow/") and p not in plan]
    plan.update(_duplicate_library_copies(pyarrow_files))
    return dict(sorted(plan.items()))


def is_strippable(path: str) -> bool:
    """Whether the builder strips ``path``: pyarrow's shared libraries, h3's Cython
    extension modules and sweeplib's compiled kernel (debug symbols only)."""
    parts = path.split("/")
    extension = bool(_SHARED_LIBRARY.fullmatch(parts[-1]))
    return is_pyarrow_shared_library(path) or (extension and parts[0] in ("h3", SOURCE_PACKAGE))


def is_pyarrow_shared_library(path: str) -> bool:
    """Whether ``path`` is one of pyarrow's ELF shared libraries.

    numpy's bundled OpenBLAS (``numpy.libs/``) broke when stripped (DESIGN §6): numpy
    is never stripped (:func:`is_strippable`).
    """
    parts = path.split("/")
    return parts[0] == "pyarrow" and bool(_SHARED_LIBRARY.fullmatch(parts[-1]))
