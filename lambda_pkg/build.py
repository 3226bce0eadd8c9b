"""The build steps: lock check, pip install, source copy, kernel, trim, strip, compile, zip.

Each step is a function over the staging folder, so the tests can exercise the pure
parts (:mod:`lambda_pkg.lock`, :mod:`lambda_pkg.trim`, :mod:`lambda_pkg.archive`) alone
and the smoke test can run the whole build. External tools: the target's 3.12 interpreter
(its pip resolves and installs the wheels, so environment markers are evaluated for 3.12;
its compileall writes the bytecode; its pip builds the compiled kernel, see
:mod:`lambda_pkg.compiled`), ``strip`` and ``readelf``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lambda_pkg import compiled
from lambda_pkg import lock as locking
from lambda_pkg.archive import ArchiveStats, iter_files, write_deterministic_zip
from lambda_pkg.trim import SOURCE_PACKAGE, is_pyarrow_shared_library, is_strippable, plan_trim
from sweeplib.sim import COMPILED_MODULES

__all__ = [
    "ARCHES",
    "DEFAULT_OUTPUT",
    "KERNEL_CHOICES",
    "LOCK_PATH",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIPPED_DIRECT_UPLOAD_BYTES",
    "REPO_ROOT",
    "TARGET",
    "BuildError",
    "BuildResult",
    "build",
    "check_bytecode",
    "find_python312",
    "forbidden_distributions",
    "input_fingerprint",
    "read_lock",
    "resolve_lock",
    "source_files",
]

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
LOCK_NAME: Final = "lambda_pkg/requirements-lambda.txt"
LOCK_PATH: Final = REPO_ROOT / LOCK_NAME
DEFAULT_OUTPUT: Final = REPO_ROOT / "dist" / "sweep-lambda.zip"

PYTHON_VERSION: Final = (3, 12)
#: pip platform tags per Lambda architecture. manylinux2014 alone resolves old wheels
#: (pyarrow 20, DESIGN §6); the Lambda python3.12 runtime (Amazon Linux 2023, glibc
#: 2.34) runs manylinux_2_28 wheels.
ARCHES: Final[Mapping[str, tuple[str, ...]]] = {
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}
TARGET: Final = "cp312 " + "; ".join(f"{a}: {' '.join(p)}" for a, p in ARCHES.items())

#: Lambda's limits: 250 MB unzipped (function + layers), 50 MB zipped for a direct
#: upload (larger zips must come from S3). AWS counts MB as MiB here.
MAX_UNZIPPED_BYTES: Final = 250 * 2**20
MAX_ZIPPED_DIRECT_UPLOAD_BYTES: Final = 50 * 2**20
#: Where Lambda unpacks the zip: compiled into tracebacks instead of the staging path.
TASK_ROOT: Final = "/var/task"

# Tools that strip an ELF of the given architecture, best first; plain `strip` is the
# host's and handles only the host's architecture.
_STRIP_TOOLS: Final[Mapping[str, tuple[str, ...]]] = {
    "x86_64": ("x86_64-linux-gnu-strip", "llvm-strip"),
    "arm64": ("aarch64-linux-gnu-strip", "llvm-strip"),
}
_HOST_ARCH: Final = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
#: ``--kernel``: ``auto`` compiles when the host is of the target's architecture (mypyc
#: builds native code for the host only), else ships the pure-Python kernel.
KERNEL_CHOICES: Final = ("auto", "compiled", "pure")
_DIST_INFO: Final = re.compile(r"(.+?)-[^-]+\.dist-info")


class BuildError(Exception):
    """The artifact cannot be built, or would be unusable; the message says why."""


@dataclass
class BuildResult:
    """What one build produced, and how long each step took."""

    output: Path
    arch: str
    archive: ArchiveStats
    python: str
    kernel: str = "pure"  # "compiled" (mypyc extension modules) or "pure"
    trimmed: dict[str, tuple[int, int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def needs_s3_upload(self) -> bool:
        """Above Lambda's 50 MB direct-upload limit: deploy from S3."""
        return self.archive.zipped_bytes > MAX_ZIPPED_DIRECT_UPLOAD_BYTES


# -- the 3.12 interpreter ----------------------------------------------------------------


def _python_version(python: str) -> tuple[int, int]:
    probe = "import sys; print(sys.version_info[0], sys.version_info[1])"
    try:
        out = subprocess.run(
            [python, "-I", "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise BuildError(f"cannot run {python}: {error}") from None
    major, minor = out.split()
    return int(major), int(minor)


def _candidates() -> Iterable[str]:
    if os.environ.get("LAMBDA_PYTHON"):
        yield os.environ["LAMBDA_PYTHON"]
    if shutil.which("python3.12"):
        yield "python3.12"
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    yield from sorted(glob.glob(f"{pyenv_root}/versions/3.12.*/bin/python3.12"), reverse=True)
    if sys.version_info[:2] == PYTHON_VERSION:
        yield sys.executable


def find_python312(explicit: str | None = None) -> str:
    """A Python 3.12 interpreter: ``explicit``, ``$LAMBDA_PYTHON``, ``python3.12`` on
    PATH, pyenv's newest ``3.12.*``, or the running one if it is 3.12.

    Raises
    ------
    BuildError
        If none is a 3.12 (bytecode must match the Lambda runtime's interpreter).
    """
    tried = []
    for candidate in [explicit] if explicit else _candidates():
        try:
            if _python_version(candidate) == PYTHON_VERSION:
                resolved = shutil.which(candidate) or candidate
                return str(Path(resolved).absolute())
        except BuildError:
            pass
        tried.append(candidate)
    raise BuildError(
        "need a Python 3.12 interpreter (the Lambda runtime's) to resolve wheels and compile "
        f"bytecode; tried {tried or ['nothing']}. Pass --python or set LAMBDA_PYTHON."
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **extra)
    return env


def _run(command: Sequence[str], *, what: str, env: Mapping[str, str] | None = None) -> str:
    completed = subprocess.run(
        list(command), capture_output=True, text=True, env=dict(env or _clean_env())
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-25:])
        raise BuildError(f"{what} failed (exit {completed.returncode}):\n{tail}")
    return completed.stdout


def _pip_target_args(arch: str) -> list[str]:
    if arch not in ARCHES:
        raise BuildError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHES)}")
    args = []
    for platform in ARCHES[arch]:
        args += ["--platform", platform]
    return [*args, "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp"]


# -- the lock ---------------------------------------------------------------------------


def _pyproject(root: Path = REPO_ROOT) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def read_lock(root: Path = REPO_ROOT) -> locking.Lock:
    """Read ``root``'s lock and check it against ``root``'s pyproject.toml.

    Parameters
    ----------
    root
        A source tree: ``pyproject.toml``, ``sweeplib/``, ``lambda_pkg/requirements-lambda.txt``
        (default: this repository).

    Raises
    ------
    BuildError
        If the lock is missing or stale, naming the command that regenerates it.
    """
    path = root / LOCK_NAME
    roots = locking.lambda_roots(_pyproject(root))
    if not path.exists():
        raise BuildError(f"no lock at {path}; run `python -m lambda_pkg lock`")
    try:
        lock = locking.parse_lock(path.read_text())
    except locking.LockError as error:
        raise BuildError(f"{path}: {error}") from None
    problems = locking.check_lock(lock, roots, TARGET)
    if problems:
        raise BuildError(
            f"{path.name} is stale: {'; '.join(problems)}. Run `python -m lambda_pkg lock` "
            "and commit the result."
        )
    return lock


def resolve_lock(python: str, path: Path = LOCK_PATH) -> locking.Lock:
    """Resolve pyproject's Lambda roots for every architecture and write the lock.

    Uses the 3.12 interpreter's own pip, so environment markers are evaluated for 3.12
    (``--python-version`` changes wheel tags, not markers). ``--target`` is only there
    because pip < 24 refuses platform options without it; ``--dry-run`` installs nothing.
    """
    roots = locking.lambda_roots(_pyproject())
    reports = {}
    with tempfile.TemporaryDirectory(prefix="sweep-lambda-lock-") as scratch:
        for arch in ARCHES:
            report_path = Path(scratch) / f"{arch}.json"
            _run(
                [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                 "--report", str(report_path), "--target", str(Path(scratch) / "unused"),
                 *_pip_target_args(arch), *roots],
                what=f"pip resolution for {arch}",
            )  # fmt: skip
            reports[arch] = json.loads(report_path.read_text())
    try:
        lock = locking.lock_from_reports(roots, TARGET, reports)
    except locking.LockError as error:
        raise BuildError(str(error)) from None
    path.write_text(locking.render_lock(lock))
    return lock


# -- staging ----------------------------------------------------------------------------


def source_files(root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    """The ``sweeplib`` files that go into the artifact, as (archive path, path).

    Every ``.py`` file plus pyproject's ``[tool.setuptools.package-data]`` patterns for
    ``sweeplib`` (``py.typed``, the named-query ``.sql`` files), like a wheel would
    hold; ``__pycache__`` is skipped.
    """
    package = root / SOURCE_PACKAGE
    setuptools = _pyproject(root).get("tool", {}).get("setuptools", {})
    patterns = ["**/*.py", *setuptools.get("package-data", {}).get(SOURCE_PACKAGE, [])]
    found: dict[str, Path] = {}
    for pattern in patterns:
        for path in package.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path
    return sorted(found.items())


def _install_wheels(python: str, arch: str, staging: Path, root: Path) -> None:
    read_lock(root)
    _run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--require-hashes",
         "--no-compile", "--root-user-action=ignore", "--target", str(staging),
         *_pip_target_args(arch), "-r", str(root / LOCK_NAME)],
        what=f"pip install of the locked wheels for {arch}",
    )  # fmt: skip


def _copy_sources(staging: Path, root: Path) -> None:
    for name, path in source_files(root):
        destination = staging / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def _trim(staging: Path) -> dict[str, tuple[int, int]]:
    """Delete what :func:`plan_trim` names; ``{reason: (files, bytes)}``."""
    plan = plan_trim(name for name, _ in iter_files(staging))
    summary: dict[str, tuple[int, int]] = {}
    for name, reason in plan.items():
        path = staging / name
        count, size = summary.get(reason, (0, 0))
        summary[reason] = (count + 1, size + path.stat().st_size)
        path.unlink()
    for folder, _, _ in sorted(os.walk(staging), key=lambda w: -len(w[0])):
        if folder != str(staging) and not os.listdir(folder):
            os.rmdir(folder)
    return summary


def _strip_tool(arch: str) -> str:
    host = _HOST_ARCH.get(os.uname().machine)
    candidates = (("strip",) if host == arch else ()) + _STRIP_TOOLS[arch]
    for tool in candidates:
        if shutil.which(tool):
            return tool
    raise BuildError(
        f"no strip tool for {arch} ELF files (tried {', '.join(candidates)}); install "
        "binutils (or llvm for cross builds)"
    )


def _strip(staging: Path, arch: str) -> int:
    """``strip --strip-unneeded`` the files :func:`is_strippable` names; bytes saved."""
    names = [name for name, _ in iter_files(staging)]
    if not any(is_pyarrow_shared_library(name) for name in names):
        raise BuildError("no pyarrow shared libraries found to strip; is pyarrow locked?")
    libraries = [staging / name for name in names if is_strippable(name)]
    before = sum(p.stat().st_size for p in libraries)
    _run([_strip_tool(arch), "--strip-unneeded", *map(str, libraries)], what="strip")
    return before - sum(p.stat().st_size for p in libraries)


def _compile(python: str, staging: Path) -> None:
    # unchecked-hash .pyc are used without looking at the source's mtime (the zip has
    # none worth trusting) and are never rewritten (the code directory is read-only).
    # PYTHONHASHSEED pins the order of frozenset constants, so .pyc bytes are stable;
    # -s/-p record /var/task paths instead of the staging folder's.
    _run(
        [python, "-s", "-m", "compileall", "-q", "-j", "0",
         "--invalidation-mode", "unchecked-hash",
         "-s", str(staging), "-p", TASK_ROOT, str(staging)],
        what="compileall (3.12)",
        env=_clean_env(PYTHONHASHSEED="0"),
    )  # fmt: skip


def check_bytecode(names: Iterable[str]) -> list[str]:
    """``.py`` files among ``names`` without a ``__pycache__/*.cpython-312.pyc``."""
    names = set(names)
    missing = []
    for name in sorted(names):
        if name.endswith(".py"):
            folder, _, file = name.rpartition("/")
            pyc = f"{folder}/__pycache__/{file[:-3]}.cpython-312.pyc".lstrip("/")
            if pyc not in names:
                missing.append(name)
    return missing


def forbidden_distributions(names: Iterable[str]) -> set[str]:
    """Forbidden distributions or import packages among the artifact's file paths."""
    found = set()
    for name in names:
        top = name.split("/", 1)[0]
        match = _DIST_INFO.fullmatch(top)
        candidate = match.group(1) if match else top.removesuffix(".py")
        normalized = re.sub(r"[-_.]+", "-", candidate).lower()
        if normalized in locking.FORBIDDEN:
            found.add(normalized)
    return found


def _resolve_kernel(kernel: str, arch: str) -> str:
    if kernel not in KERNEL_CHOICES:
        raise BuildError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNEL_CHOICES)}")
    native = _HOST_ARCH.get(os.uname().machine) == arch
    if kernel == "compiled" and not native:
        raise BuildError(
            f"cannot compile the kernel for {arch} on a {os.uname().machine} host; "
            "build with --kernel pure (same outputs, slower) or on a matching host"
        )
    if kernel == "auto":
        return "compiled" if native else "pure"
    return kernel


def _compile_kernel(python: str, staging: Path, root: Path) -> list[str]:
    numpy = [f"numpy=={pin.version}" for pin in read_lock(root).pins if pin.name == "numpy"]
    modules = compiled.compile_kernel(python, root, _run, _clean_env(), numpy)
    expected = {f"sweeplib/sim/{name}." for name in COMPILED_MODULES}
    found = {name.split("cpython")[0] for name in modules if "__mypyc" not in name}
    if found != expected or len(modules) != len(expected) + 1:
        raise BuildError(f"the kernel wheel holds unexpected modules: {sorted(modules)}")
    compiled.write_modules(modules, staging)
    return sorted(modules)


def _verify_kernel(staging: Path, kernel: str) -> None:
    names = compiled.kernel_modules(name for name, _ in iter_files(staging))
    if kernel == "pure":
        if names:
            raise BuildError(f"a pure-kernel build holds compiled modules: {names[:3]}")
        return
    for name in names:
        problems = compiled.check_extension(staging / name)
        if problems:
            raise BuildError(f"{name} would not load on Lambda: {'; '.join(problems)}")


def _verify(staging: Path) -> int:
    names = [name for name, _ in iter_files(staging)]
    forbidden = forbidden_distributions(names)
    if forbidden:
        raise BuildError(f"forbidden in the Lambda zip: {', '.join(sorted(forbidden))}")
    missing = check_bytecode(names)
    if missing:
        raise BuildError(f"no 3.12 bytecode for {len(missing)} file(s), e.g. {missing[:3]}")
    unzipped = sum((staging / name).stat().st_size for name in names)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise BuildError(
            f"unzipped size {unzipped / 2**20:.1f} MiB exceeds Lambda's "
            f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MiB limit"
        )
    return unzipped


# -- the whole build --------------------------------------------------------------------


def input_fingerprint(
    arch: str, python: str | None = None, root: Path = REPO_ROOT, kernel: str = "auto"
) -> str:
    """sha256 over everything a build depends on: lock, sweeplib sources, setup.py, this
    builder and its pinned build tools, the architecture, the kernel build and the 3.12
    interpreter's version. Equal fingerprints, equal zips."""
    digest = hashlib.sha256()
    interpreter = find_python312(python)
    version = _run([interpreter, "-I", "-c", "import sys; print(sys.version)"], what="probe")
    chosen = _resolve_kernel(kernel, arch)
    digest.update(f"{arch}\0{version}\0{chosen}\0{compiled.BUILD_TOOLS}\0".encode())
    builder = sorted(Path(__file__).resolve().parent.glob("*.py"))
    entries = [(f"lambda_pkg/{p.name}", p) for p in builder] + [(LOCK_NAME, root / LOCK_NAME)]
    if chosen == "compiled":
        entries += [(name, root / name) for name in ("setup.py", "README.md")]
    entries += source_files(root)
    for name, path in entries:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(
    *,
    arch: str = "x86_64",
    output: Path = DEFAULT_OUTPUT,
    python: str | None = None,
    staging: Path | None = None,
    root: Path = REPO_ROOT,
    kernel: str = "auto",
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Build the Lambda zip (see the package docstring for the steps).

    Parameters
    ----------
    arch
        ``"x86_64"`` or ``"arm64"``.
    output
        Where the zip goes; ``<output>.sha256`` is written beside it.
    python
        A 3.12 interpreter (default: :func:`find_python312`).
    staging
        Keep the unzipped tree in this (new or empty) folder; default a temporary one.
    root
        The source tree to build (see :func:`read_lock`); default this repository.
    kernel
        ``"compiled"``: the mypyc-compiled kernel (needs a host of ``arch``);
        ``"pure"``: the ``.py`` kernel only; ``"auto"`` (default): compiled when the host
        matches ``arch``.
    log
        Receives one line per step.

    Raises
    ------
    BuildError
        Stale lock, pip/strip/compile failure, forbidden distribution, missing bytecode,
        a compiled module that would not load on Lambda, or more than 250 MB unzipped.
    """
    if arch not in ARCHES:
        raise BuildError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHES)}")
    chosen = _resolve_kernel(kernel, arch)
    interpreter = find_python312(python)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, action: Callable[[], Any]) -> Any:
        begun = time.perf_counter()
        value = action()
        timings[name] = time.perf_counter() - begun
        log(f"  {name:<28} {timings[name]:6.1f} s")
        return value

    with tempfile.TemporaryDirectory(prefix="sweep-lambda-") as scratch:
        tree = staging if staging is not None else Path(scratch) / "task"
        if tree.exists() and any(tree.iterdir()):
            raise BuildError(f"staging folder {tree} is not empty")
        tree.mkdir(parents=True, exist_ok=True)
        log(f"lambda_pkg: building for {arch} with {interpreter}, {chosen} kernel")
        step("install locked wheels", lambda: _install_wheels(interpreter, arch, tree, root))
        step("copy sweeplib", lambda: _copy_sources(tree, root))
        if chosen == "compiled":
            step("compile kernel (mypyc, 3.12)", lambda: _compile_kernel(interpreter, tree, root))
        trimmed = step("trim", lambda: _trim(tree))
        saved = step("strip shared libraries", lambda: _strip(tree, arch))
        step("compile bytecode (3.12)", lambda: _compile(interpreter, tree))
        step("verify compiled kernel", lambda: _verify_kernel(tree, chosen))
        step("verify", lambda: _verify(tree))
        stats = step("write zip", lambda: write_deterministic_zip(tree, output))
    output.with_name(output.name + ".sha256").write_text(f"{stats.sha256}  {output.name}\n")
    timings["total"] = time.perf_counter() - started
    trimmed["stripped from shared libraries"] = (0, saved)
    return BuildResult(output, arch, stats, interpreter, chosen, trimmed, timings)


def describe(result: BuildResult) -> list[str]:
    """The build summary lines the CLI prints."""
    stats = result.archive
    lines = ["trimmed:"]
    for reason, (count, size) in sorted(result.trimmed.items(), key=lambda item: -item[1][1]):
        files = f"{count} files" if count else "in place"
        lines.append(f"  {size / 2**20:7.1f} MiB  {reason} ({files})")
    lines += [
        f"artifact: {result.output} ({stats.files} files, {result.arch}, {result.kernel} kernel)",
        f"  unzipped {stats.unzipped_bytes / 2**20:7.1f} MiB "
        f"({stats.unzipped_bytes:,} bytes; limit {MAX_UNZIPPED_BYTES / 2**20:.0f} MiB)",
        f"  zipped   {stats.zipped_bytes / 2**20:7.1f} MiB ({stats.zipped_bytes:,} bytes)",
        f"  sha256   {stats.sha256}",
        f"  built in {result.timings['total']:.1f} s",
    ]
    if result.needs_s3_upload:
        lines.append(
            f"NOTE: the zip exceeds Lambda's {MAX_ZIPPED_DIRECT_UPLOAD_BYTES / 2**20:.0f} MiB "
            "direct-upload limit: deploy it via S3 (infra/terraform uploads it to the "
            "artifacts bucket and points the function at that object)."
        )
    else:
        lines.append(
            f"  within the {MAX_ZIPPED_DIRECT_UPLOAD_BYTES / 2**20:.0f} MiB direct-upload limit"
        )
    return lines
