"""The Lambda builder's pure parts: lock, trim rules, deterministic zip, artifact checks."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from lambda_pkg import build as builder
from lambda_pkg import lock as locking
from lambda_pkg.archive import FIXED_DATE_TIME, write_deterministic_zip
from lambda_pkg.compiled import ElfRequirements, parse_readelf
from lambda_pkg.trim import is_pyarrow_shared_library, is_strippable, plan_trim, trim_reason

PYPROJECT = {
    "project": {
        "dependencies": ["numpy>=1.26", "pyarrow>=15", "h3>=4.1,<5"],
        "optional-dependencies": {
            "aws": ["boto3>=1.34", "aws-lambda-powertools>=3.0"],
            "local": ["duckdb>=2.0,<3"],
        },
    }
}
ROOTS = ("aws-lambda-powertools>=3.0", "h3<5,>=4.1", "numpy>=1.26", "pyarrow>=15")


def _pin(name: str, version: str) -> locking.Pin:
    return locking.Pin(name, version, (hashlib.sha256(name.encode()).hexdigest(),))


LOCK = locking.Lock(
    ROOTS,
    builder.TARGET,
    (
        _pin("aws-lambda-powertools", "3.37.0"),
        _pin("h3", "4.5.0"),
        _pin("jmespath", "1.1.0"),
        _pin("numpy", "2.5.5"),
        _pin("pyarrow", "26.0.1"),
    ),
)


# -- lock -------------------------------------------------------------------------------


def test_roots_are_the_base_and_aws_dependencies_without_what_the_runtime_provides():
    assert locking.lambda_roots(PYPROJECT) == ROOTS


def test_a_forbidden_root_is_refused():
    pyproject = {"project": {"dependencies": ["pandas>=2"]}}
    with pytest.raises(locking.LockError, match="pandas"):
        locking.lambda_roots(pyproject)


def test_the_committed_lock_matches_pyproject():
    # Fails when pyproject's dependencies change without `python -m lambda_pkg lock`.
    lock = builder.read_lock()
    assert {p.name for p in lock.pins} >= {"numpy", "pyarrow", "h3", "aws-lambda-powertools"}
    assert not {p.name for p in lock.pins} & locking.FORBIDDEN
    assert all(len(p.hashes) >= 1 for p in lock.pins)


def test_a_lock_survives_rendering_and_parsing():
    assert locking.parse_lock(locking.render_lock(LOCK)) == LOCK


def test_a_lock_entry_without_a_hash_is_refused():
    text = locking.render_lock(LOCK) + "six==1.16.0\n"
    with pytest.raises(locking.LockError, match=r"six==1\.16\.0"):
        locking.parse_lock(text)


def test_a_fitting_lock_has_no_problems():
    assert locking.check_lock(LOCK, ROOTS, builder.TARGET) == []


@pytest.mark.parametrize(
    ("roots", "target", "problem"),
    [
        ((*ROOTS[:2], "numpy>=3"), builder.TARGET, "numpy==2.5.5 does not satisfy numpy>=3"),
        ((*ROOTS, "tqdm>=4"), builder.TARGET, "tqdm is not pinned"),
        (ROOTS[1:], builder.TARGET, "differ from pyproject.toml's"),
        (ROOTS, "cp313 x86_64", "lock target"),
    ],
)
def test_a_stale_lock_names_its_problem(roots, target, problem):
    problems = locking.check_lock(LOCK, roots, target)
    assert any(problem in p for p in problems), problems


def test_a_forbidden_pin_is_a_problem():
    lock = locking.Lock(ROOTS, builder.TARGET, (*LOCK.pins, _pin("pandas", "2.2.0")))
    assert any("pandas" in p for p in locking.check_lock(lock, ROOTS, builder.TARGET))


def _report(*items: tuple[str, str, str]) -> dict:
    return {
        "install": [
            {
                "metadata": {"name": name, "version": version},
                "download_info": {"archive_info": {"hashes": {"sha256": digest}}},
            }
            for name, version, digest in items
        ]
    }


def test_reports_of_both_architectures_merge_into_one_pin_per_distribution():
    lock = locking.lock_from_reports(
        ROOTS,
        builder.TARGET,
        {
            "x86_64": _report(("NumPy", "2.5.5", "a" * 64), ("jmespath", "1.1.0", "c" * 64)),
            "arm64": _report(("numpy", "2.5.5", "b" * 64), ("jmespath", "1.1.0", "c" * 64)),
        },
    )
    assert lock.pin("numpy") == locking.Pin("numpy", "2.5.5", ("a" * 64, "b" * 64))
    assert lock.pin("jmespath") == locking.Pin("jmespath", "1.1.0", ("c" * 64,))


def test_architectures_that_resolve_different_versions_cannot_share_a_lock():
    with pytest.raises(locking.LockError, match="numpy"):
        locking.lock_from_reports(
            ROOTS,
            builder.TARGET,
            {
                "x86_64": _report(("numpy", "2.5.5", "a" * 64)),
                "arm64": _report(("numpy", "2.4.0", "b" * 64)),
            },
        )


# -- trim -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "pyarrow/libarrow_flight.so.2600",
        "pyarrow/_flight.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/libarrow_python_flight.so.2600",
        "pyarrow/libarrow_s3.so.2600",
        "pyarrow/_s3fs.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/_substrait.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/_parquet_encryption.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/_dataset_parquet_encryption.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/libarrow_python_parquet_encryption.so.2600",
        "pyarrow/_feather.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/feather.py",
        "pyarrow/include/arrow/api.h",
        "pyarrow/src/arrow/python/common.cc",
        "pyarrow/lib.pyx",
        "pyarrow/tests/test_array.py",
        "numpy/_core/tests/test_umath.py",
        "numpy/_core/include/numpy/ndarrayobject.h",
        "numpy/_core/_simd.cpython-312-x86_64-linux-gnu.so",
        "numpy/_core/_multiarray_tests.cpython-312-x86_64-linux-gnu.so",
        "numpy/_core/_operand_flag_tests.cpython-312-x86_64-linux-gnu.so",
        "numpy/_core/_rational_tests.cpython-312-x86_64-linux-gnu.so",
        "numpy/_core/_struct_ufunc_tests.cpython-312-x86_64-linux-gnu.so",
        "numpy/_core/_umath_tests.cpython-312-x86_64-linux-gnu.so",
        "numpy/__init__.pyi",
        "numpy/f2py/__init__.py",
        "bin/f2py",
        "lib64/libh3.a",
        "h3/__pycache__/api.cpython-311.pyc",
        "sweeplib/__pycache__/handler.cpython-311.pyc",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
        "aws_lambda_powertools/event_handler/api_gateway.py",
        "aws_lambda_powertools/utilities/parser/models/sqs.py",
        "aws_lambda_powertools/utilities/idempotency/base.py",
        "numpy/random/_generator.cpython-312-x86_64-linux-gnu.so",
        "numpy/fft/_pocketfft_umath.cpython-312-x86_64-linux-gnu.so",
        "numpy/polynomial/polynomial.py",
    ],
)
def test_what_the_runtime_never_loads_is_trimmed(path):
    assert trim_reason(path) is not None


@pytest.mark.parametrize(
    "path",
    [
        "pyarrow/libarrow.so.2600",
        "pyarrow/libarrow_substrait.so.2600",  # lib.cpython-312-*.so links against it
        "pyarrow/libarrow_dataset.so.2600",
        "pyarrow/_parquet.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/_dataset.cpython-312-x86_64-linux-gnu.so",
        "pyarrow/_dataset_parquet.cpython-312-x86_64-linux-gnu.so",  # pyarrow.dataset's Parquet
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/_csv.cpython-312-x86_64-linux-gnu.so",  # pyarrow._dataset imports it
        "pyarrow/parquet/core.py",
        "numpy/__init__.py",
        "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",  # numpy itself
        "numpy/_core/_internal.py",
        "numpy/testing/__init__.py",
        "numpy.libs/libscipy_openblas64_-4b78795a.so",
        "h3/api/basic_int/__init__.py",
        "aws_lambda_powertools/utilities/batch/base.py",
        "aws_lambda_powertools/utilities/data_classes/sqs_event.py",  # SQSRecord
        "aws_lambda_powertools/utilities/jmespath_utils/__init__.py",
        "numpy/linalg/_linalg.py",  # numpy.ma imports it
        "numpy/ma/core.py",  # the kernel's nullable output columns
        "sweeplib/sim/_kernel__mypyc.cpython-312-x86_64-linux-gnu.so",  # the compiled kernel
        "pyarrow-26.0.1.dist-info/RECORD",
        "sweeplib/handler.py",
        "sweeplib/query/sql/run_profile.sql",
        "sweeplib/tests/whatever.py",  # first-party code is never trimmed by name
    ],
)
def test_what_the_runtime_loads_is_kept(path):
    assert trim_reason(path) is None


def test_duplicate_copies_of_a_versioned_library_are_trimmed_but_the_soname_is_kept():
    paths = [
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libarrow_python.so.2600.1.0",
        "pyarrow/libparquet.so.2600",
        "pyarrow/libsolo.so",  # no SONAME sibling: keep
    ]
    plan = plan_trim(paths)
    assert set(plan) == {"pyarrow/libarrow_python.so", "pyarrow/libarrow_python.so.2600.1.0"}


@pytest.mark.parametrize(
    ("path", "stripped"),
    [
        ("pyarrow/libarrow.so.2600", True),
        ("pyarrow/lib.cpython-312-x86_64-linux-gnu.so", True),
        ("numpy.libs/libscipy_openblas64_-4b78795a.so", False),  # stripping broke it
        ("numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so", False),
        ("pyarrow/parquet/core.py", False),
    ],
)
def test_only_pyarrow_shared_libraries_are_stripped(path, stripped):
    assert is_pyarrow_shared_library(path) is stripped


@pytest.mark.parametrize(
    ("path", "stripped"),
    [
        ("pyarrow/libarrow.so.2600", True),
        ("h3/_cy/cells.cpython-312-x86_64-linux-gnu.so", True),
        ("sweeplib/sim/_kernel__mypyc.cpython-312-x86_64-linux-gnu.so", True),
        ("sweeplib/sim/engine.cpython-312-x86_64-linux-gnu.so", True),
        ("sweeplib/sim/engine.py", False),
        ("numpy.libs/libscipy_openblas64_-4b78795a.so", False),  # stripping broke it
        ("numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so", False),
    ],
)
def test_the_builder_strips_pyarrow_h3_and_the_kernel_never_numpy(path, stripped):
    assert is_strippable(path) is stripped


# -- the compiled kernel's ELF checks (ADR 0021) ------------------------------------------

READELF_KERNEL = """
Dynamic section at offset 0xcd5f0 contains 24 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000000e (SONAME)             Library soname: [kernel.so]

Version symbols section '.gnu.version' contains 265 entries:
 Addr: 0x0000000000002c8e  Offset: 0x00002c8e  Link: 3 (.dynsym)
  000:   0 (*local*)       2 (GLIBC_2.2.5)   3 (GLIBC_2.14)

Version needs section '.gnu.version_r' contains 1 entry:
 Addr: 0x000000000000e758  Offset: 0x0000e758  Link: 4 (.dynstr)
  000000: Version: 1  File: libc.so.6  Cnt: 2
  0x0010:   Name: GLIBC_2.14  Flags: none  Version: 3
  0x0020:   Name: GLIBC_2.2.5  Flags: none  Version: 2
"""


def test_readelf_output_gives_the_libraries_and_the_newest_glibc_version():
    found = parse_readelf(READELF_KERNEL)
    assert found == ElfRequirements(frozenset({"libc.so.6"}), (2, 14))
    assert found.problems() == []


def test_a_module_needing_a_newer_glibc_or_another_library_would_not_load_on_lambda():
    newer = READELF_KERNEL.replace("GLIBC_2.14", "GLIBC_2.38")
    assert parse_readelf(newer).glibc == (2, 38)
    assert parse_readelf(newer).problems() == [
        "needs glibc 2.38 > 2.34 (Lambda's Amazon Linux 2023)"
    ]
    assert parse_readelf(READELF_KERNEL.replace("GLIBC_2.14", "GLIBC_2.34")).problems() == []
    linked = READELF_KERNEL.replace("[libc.so.6]", "[libstdc++.so.6]")
    assert parse_readelf(linked).problems() == [
        "links libstdc++.so.6 (only the C library is allowed)"
    ]


def test_version_definitions_are_not_requirements():
    defines = (
        "Version definition section '.gnu.version_d' contains 2 entries:\n"
        "  0x0000: Rev: 1  Flags: BASE  Index: 1  Cnt: 1  Name: libc.so.6\n"
        "  0x001c: Rev: 1  Flags: none  Index: 2  Cnt: 1  Name: GLIBC_2.40\n"
    )
    assert parse_readelf(defines + READELF_KERNEL).glibc == (2, 14)
    assert parse_readelf(defines).glibc is None


# -- deterministic zip ------------------------------------------------------------------


def _tree(root: Path, mtime: int, umask_mode: int) -> Path:
    files = {"b/run.so": b"\x7fELF", "a.py": b"x = 1\n", "b/c/data.sql": b"select 1"}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o775 if name.endswith(".so") else umask_mode)
        os.utime(path, (mtime, mtime))
    return root


def test_the_same_files_zip_to_the_same_bytes_whatever_their_mtime_and_umask(tmp_path):
    first = write_deterministic_zip(_tree(tmp_path / "1", 1_700_000_000, 0o600), tmp_path / "1.zip")
    second = write_deterministic_zip(
        _tree(tmp_path / "2", 1_800_000_000, 0o664), tmp_path / "2.zip"
    )
    assert first.sha256 == second.sha256
    with zipfile.ZipFile(tmp_path / "1.zip") as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["a.py", "b/c/data.sql", "b/run.so"]
    assert {i.date_time for i in infos} == {FIXED_DATE_TIME}
    modes = {i.filename: (i.external_attr >> 16) & 0o7777 for i in infos}
    assert modes == {"a.py": 0o644, "b/c/data.sql": 0o644, "b/run.so": 0o755}
    assert first.files == 3
    assert first.unzipped_bytes == 4 + 6 + 8


def test_a_symlink_in_the_tree_is_refused(tmp_path):
    tree = _tree(tmp_path / "t", 1_700_000_000, 0o644)
    (tree / "link.py").symlink_to(tree / "a.py")
    with pytest.raises(ValueError, match=r"link\.py"):
        write_deterministic_zip(tree, tmp_path / "out.zip")


# -- artifact checks --------------------------------------------------------------------


def test_python_files_without_312_bytecode_are_reported():
    names = [
        "a.py",
        "__pycache__/a.cpython-312.pyc",
        "pkg/b.py",
        "pkg/__pycache__/b.cpython-311.pyc",
    ]
    assert builder.check_bytecode(names) == ["pkg/b.py"]


def test_forbidden_distributions_are_found_by_package_or_dist_info_name():
    names = [
        "numpy/__init__.py",
        "pandas/__init__.py",
        "SciPy-1.14.0.dist-info/METADATA",
        "botocore/data/endpoints.json",
        "sqlglot.py",
    ]
    assert builder.forbidden_distributions(names) == {"pandas", "scipy", "botocore", "sqlglot"}


def test_the_sweeplib_sources_include_package_data_and_no_bytecode():
    names = [name for name, _ in builder.source_files()]
    assert "sweeplib/handler.py" in names
    assert "sweeplib/py.typed" in names
    assert any(n.startswith("sweeplib/query/sql/") and n.endswith(".sql") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_an_unknown_architecture_is_refused():
    with pytest.raises(builder.BuildError, match="ppc64le"):
        builder.build(arch="ppc64le")


def test_the_sweeplib_sources_never_include_a_compiled_module(tmp_path):
    (tmp_path / "sweeplib" / "sim").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "sweeplib" / "sim" / "engine.py").write_text("")
    (tmp_path / "sweeplib" / "sim" / "engine.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    assert [name for name, _ in builder.source_files(tmp_path)] == ["sweeplib/sim/engine.py"]


def test_a_compiled_kernel_needs_a_host_of_the_target_architecture():
    # mypyc compiles for the host: another architecture gets the pure-Python kernel
    # under auto, and an explicit request for a compiled one is refused.
    machine = os.uname().machine
    other = "arm64" if builder._HOST_ARCH.get(machine) == "x86_64" else "x86_64"
    assert builder._resolve_kernel("auto", other) == "pure"
    assert builder._resolve_kernel("pure", other) == "pure"
    with pytest.raises(builder.BuildError, match="--kernel pure"):
        builder._resolve_kernel("compiled", other)
    with pytest.raises(builder.BuildError, match="unknown kernel 'fast'"):
        builder._resolve_kernel("fast", other)
    native = builder._HOST_ARCH.get(machine)
    if native is not None:
        assert builder._resolve_kernel("auto", native) == "compiled"


def test_a_build_refuses_a_lock_that_pyproject_has_outgrown(tmp_path):
    (tmp_path / "lambda_pkg").mkdir()
    (tmp_path / builder.LOCK_NAME).write_text((builder.REPO_ROOT / builder.LOCK_NAME).read_text())
    pyproject = (builder.REPO_ROOT / "pyproject.toml").read_text()
    assert '"h3>=4.1,<5",' in pyproject
    (tmp_path / "pyproject.toml").write_text(
        pyproject.replace('"h3>=4.1,<5",', '"h3>=4.1,<5", "tqdm>=4",')
    )
    with pytest.raises(builder.BuildError, match=r"stale: .*tqdm is not pinned.*lambda_pkg lock"):
        builder.read_lock(tmp_path)
