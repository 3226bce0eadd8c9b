"""Reports: a notebook executed by papermill, saved with an HTML export without code.

``sweep report RUN_ID`` (and ``make report``) call :func:`render_report`:

1. find the notebook (``run_report`` by default, see :func:`find_notebook`);
2. inject the parameters its ``parameters`` cell declares (``run_id``, ``backend``,
   ``data_dir``, ``database``, ``workgroup``, ``output_location``, plus any given
   explicitly) and execute it with papermill in a kernel running **this interpreter**
   (:data:`KERNEL_NAME`, resolved in memory: no kernelspec needs installing, and a
   ``sweeplib`` kernelspec installed elsewhere cannot redirect it);
3. write the executed notebook and an HTML export without code cells under the output
   folder, named ``{notebook}_{run_id}_{YYYY-MM-DD}`` (:func:`report_stem`): the same
   run on the same day overwrites its report.

A failing cell raises :class:`ReportFailed` naming the cell; the executed notebook (with
the error) is still written.

Needs the ``notebooks`` extra (papermill, nbconvert, ipykernel).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sweeplib.contracts import validate_run_id
from sweeplib.errors import InvalidRequest, ReportFailed

if TYPE_CHECKING:
    from jupyter_client.kernelspec import KernelSpec

__all__ = [
    "CREATES_RUN",
    "DEFAULT_NOTEBOOK",
    "DEFAULT_OUTPUT_DIR",
    "KERNEL_DISPLAY_NAME",
    "KERNEL_NAME",
    "NOTEBOOKS",
    "STANDARD_PARAMETERS",
    "ReportFailed",
    "ReportFiles",
    "execute_notebook",
    "export_html",
    "failing_line",
    "find_notebook",
    "install_kernelspec",
    "kernel_manager_class",
    "notebook_parameters",
    "parse_parameter",
    "render_report",
    "report_stem",
    "strip_notebook",
    "this_interpreter_kernelspec",
]

#: The kernel reports run in (and the name JupyterLab shows after ``install_kernelspec``).
KERNEL_NAME: Final = "sweeplib"
KERNEL_DISPLAY_NAME: Final = "Python (sweeplib)"
#: The notebooks shipped in the repository's ``notebooks/`` folder.
NOTEBOOKS: Final = ("compare_runs", "design_sweep", "run_report", "sensitivity")
DEFAULT_NOTEBOOK: Final = "run_report"
#: Notebooks that make the run they are given: ``sweep report NEW_RUN --notebook
#: design_sweep`` is not refused for naming a run that does not exist yet.
CREATES_RUN: Final = frozenset({"design_sweep"})
DEFAULT_OUTPUT_DIR: Final = "reports"
#: Parameters ``sweep report`` injects when the notebook declares them.
STANDARD_PARAMETERS: Final = (
    "run_id",
    "backend",
    "data_dir",
    "database",
    "workgroup",
    "output_location",
)


@dataclass(frozen=True)
class ReportFiles:
    """The files :func:`render_report` wrote."""

    notebook: Path
    html: Path


# -- the kernel: this interpreter ------------------------------------------------------


def this_interpreter_kernelspec() -> KernelSpec:
    """A kernelspec that starts ``ipykernel`` with ``sys.executable``."""
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=KERNEL_DISPLAY_NAME,
        language="python",
        metadata={"debugger": True},
    )


def kernel_manager_class() -> type[Any]:
    """nbclient's kernel manager, resolving :data:`KERNEL_NAME` to this interpreter.

    Any other kernel name is looked up as usual. On POSIX the kernel talks over Unix
    sockets (IPC) rather than TCP on localhost.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _Specs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            if kernel_name == KERNEL_NAME:
                return this_interpreter_kernelspec()
            spec: KernelSpec = super().get_kernel_spec(kernel_name)
            return spec

    class ThisInterpreterKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")  # type: ignore[untyped-decorator, unused-ignore]
        def _default_specs(self) -> KernelSpecManager:
            return _Specs(data_dir=self.data_dir)

        @default("transport")  # type: ignore[untyped-decorator, unused-ignore]
        def _default_transport(self) -> str:
            # Unix sockets in the runtime folder: nothing listens on a TCP port.
            return "ipc" if os.name == "posix" else "tcp"

    return ThisInterpreterKernelManager


def install_kernelspec(*, user: bool = False, prefix: str | None = None) -> str:
    """Install the :data:`KERNEL_NAME` kernelspec for JupyterLab (this interpreter).

    The same as ``python -m ipykernel install --sys-prefix --name sweeplib``: into this
    environment (``sys.prefix``) by default — where a JupyterLab started from the same
    environment finds it — or the user's Jupyter folder (``user=True``), or ``prefix``.

    Returns
    -------
    str
        The folder the kernelspec was written to.
    """
    from ipykernel.kernelspec import install

    if prefix is None and not user:
        prefix = sys.prefix
    path: str = install(
        user=user, kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=prefix
    )
    return path


# -- notebooks and file names ----------------------------------------------------------


def _search_folders() -> list[Path]:
    repository = Path(__file__).resolve().parents[1]
    folders = [Path.cwd() / "notebooks", repository / "notebooks"]
    return list(dict.fromkeys(folders))


def find_notebook(name: str, folders: Sequence[Path] | None = None) -> Path:
    """The notebook a name or path designates.

    A path to an existing ``.ipynb`` file is taken as is; a name (``run_report``) is
    looked up as ``{name}.ipynb`` in ``./notebooks`` and then in the ``notebooks``
    folder next to the ``sweeplib`` package (an editable install or a checkout).

    Raises
    ------
    InvalidRequest
        ``field`` ``"--notebook"``: nothing found; the reason lists the known names.
    """
    given = Path(name)
    if given.suffix == ".ipynb" and given.is_file():
        return given.resolve()
    for folder in _search_folders() if folders is None else folders:
        candidate = folder / f"{given.name.removesuffix('.ipynb')}.ipynb"
        if candidate.is_file():
            return candidate.resolve()
    raise InvalidRequest(
        "--notebook",
        f"no notebook {name!r} (a path to an .ipynb file, or one of: {', '.join(NOTEBOOKS)} "
        "in ./notebooks or the sweeplib checkout)",
    )


def report_stem(notebook: str, run_id: str, day: dt.date) -> str:
    """The report's file name without extension: ``{notebook}_{run_id}_{YYYY-MM-DD}``.

    >>> report_stem("run_report", "demo-run-001", dt.date(2026, 2, 14))
    'run_report_demo-run-001_2026-02-14'
    """
    return f"{notebook}_{validate_run_id(run_id)}_{day.isoformat()}"


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook's ``parameters`` cell declares, with their defaults' text."""
    import papermill  # type: ignore[import-untyped, unused-ignore]

    declared: dict[str, Any] = papermill.inspect_notebook(str(path))
    return declared


def export_html(notebook: Path, html: Path) -> Path:
    """Write an HTML export of ``notebook`` without its code cells (outputs only)."""
    import nbformat
    from nbconvert import HTMLExporter

    # nbconvert warns about figures without alternative text on every export: quiet.
    quiet = logging.getLogger(__name__ + ".nbconvert")
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(  # type: ignore[no-untyped-call, unused-ignore]
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, log=quiet
    )
    document = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call, unused-ignore]
    body, _ = exporter.from_notebook_node(document)
    html.write_text(body, encoding="utf-8")
    return html


def strip_notebook(path: str | os.PathLike[str]) -> bool:
    """Strip a notebook for committing: no outputs, no execution counts, no widget state.

    Cell metadata keeps only ``tags`` (the ``parameters`` tag, the ``table``/``figure``
    markers the notebook tests read); notebook metadata keeps ``kernelspec`` and
    ``language_info``. Cell ids are kept.

    Returns
    -------
    bool
        Whether the file changed.
    """
    import nbformat

    before = Path(path).read_text(encoding="utf-8")
    notebook = nbformat.reads(before, as_version=4)  # type: ignore[no-untyped-call, unused-ignore]
    kept = {k: v for k, v in notebook.metadata.items() if k in ("kernelspec", "language_info")}
    untyped: Any = nbformat.from_dict  # nbformat's helpers carry no annotations
    notebook.metadata = untyped(kept)
    for cell in notebook.cells:
        cell.metadata = untyped({k: v for k, v in cell.metadata.items() if k == "tags"})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    after: str = nbformat.writes(notebook) + "\n"  # type: ignore[no-untyped-call, unused-ignore]
    if after == before:
        return False
    Path(path).write_text(after, encoding="utf-8")
    return True


# -- rendering -------------------------------------------------------------------------


def execute_notebook(
    source: Path,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    cell_timeout_s: float | None = None,
) -> Path:
    """Execute ``source`` with papermill in this interpreter's kernel; write ``output``.

    Raises
    ------
    ReportFailed
        A cell raised; ``output`` holds the executed notebook with the error.
    """
    import papermill  # type: ignore[import-untyped, unused-ignore]
    from papermill.exceptions import (  # type: ignore[import-untyped, unused-ignore]
        PapermillExecutionError,
    )

    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=dict(parameters),
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            kernel_manager_class=kernel_manager_class(),
            execution_timeout=cell_timeout_s,
        )
    except PapermillExecutionError as error:
        raise ReportFailed(
            output,
            int(error.cell_index),
            error.exec_count,
            str(error.ename),
            str(error.evalue),
            failing_line(error.source or "", error.traceback or []),
        ) from None
    return output


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_FRAME = re.compile(r"^Cell In\[\d*\], line (\d+)", re.MULTILINE)


def failing_line(source: str, traceback: Sequence[str]) -> str:
    """The cell's line that raised, from IPython's traceback (``Cell In[n], line k``);
    the cell's first line when the traceback does not say.

    >>> failing_line("a = 1\\nb = 1 / 0", ["\\x1b[0;31mCell In[2], line 2\\x1b[0m"])
    'b = 1 / 0'
    """
    lines = source.strip("\n").splitlines()
    match = _CELL_FRAME.search(_ANSI.sub("", "\n".join(traceback)))
    if match and 1 <= int(match.group(1)) <= len(lines):
        return lines[int(match.group(1)) - 1].strip()
    return lines[0].strip() if lines else ""


def _check_local_run(run_id: str, data_dir: str | os.PathLike[str]) -> None:
    from sweeplib.errors import ObjectNotFound
    from sweeplib.status import find_run_dates
    from sweeplib.storage import LocalObjectStore
    from sweeplib.submissions import load_submission

    folder = os.path.abspath(data_dir)
    if not Path(folder).is_dir():
        shown = str(data_dir) if str(data_dir) == folder else f"{data_dir} (= {folder})"
        raise InvalidRequest("--data-dir", f"{shown} is not a folder")
    store = LocalObjectStore(folder)
    try:
        load_submission(store, run_id)
        return
    except ObjectNotFound:
        pass
    if not find_run_dates(store, run_id):
        raise InvalidRequest("RUN_ID", f"no run {run_id!r} in {folder}")


def render_report(
    run_id: str,
    *,
    backend: str = "local",
    data_dir: str | os.PathLike[str] = "data",
    database: str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    notebook: str = DEFAULT_NOTEBOOK,
    output_dir: str | os.PathLike[str] = DEFAULT_OUTPUT_DIR,
    parameters: Mapping[str, Any] | None = None,
    day: dt.date | None = None,
    cell_timeout_s: float | None = None,
) -> ReportFiles:
    """Execute a report notebook for ``run_id`` and write it with its HTML export.

    Parameters
    ----------
    run_id
        The run; names the files and is injected as ``run_id``.
    backend
        ``"local"`` (``data_dir``, checked to hold the run unless the notebook is one
        that makes it, :data:`CREATES_RUN`) or ``"athena"``
        (``database``, ``workgroup``, ``output_location``; ``None`` keeps the notebook's
        default).
    data_dir
        The local outcome folder, relative to the working directory as every
        command-line path is; injected absolute, so the notebook's own rule for relative
        folders (the project root, :func:`sweeplib.analysis.resolve_data_dir`) never
        applies to it. A ``data_dir`` in ``parameters`` is taken as this argument.
    notebook
        A name (``run_report``) or a path to an ``.ipynb`` (:func:`find_notebook`).
    output_dir
        Where the ``.ipynb`` and ``.html`` go (created if missing).
    parameters
        More parameters; each must be declared by the notebook's ``parameters`` cell.
    day
        The date in the file names (default: today, UTC).
    cell_timeout_s
        Give up on a cell after this many seconds (default: no limit).

    Returns
    -------
    ReportFiles

    Raises
    ------
    InvalidRequest
        A bad run id, backend, notebook or parameter, or (local backend) no such run
        in ``data_dir``.
    ReportFailed
        A cell raised; the executed notebook was written.
    """
    validate_run_id(run_id)
    if backend not in ("local", "athena"):
        raise InvalidRequest("--backend", f"must be 'local' or 'athena', got {backend!r}")
    source = find_notebook(notebook)
    declared = notebook_parameters(source)
    extra = dict(parameters or {})
    if "data_dir" in extra:  # -p data_dir=DIR means --data-dir DIR
        data_dir = str(extra.pop("data_dir"))
    values: dict[str, Any] = {
        "run_id": run_id,
        "backend": backend,
        "data_dir": os.path.abspath(data_dir),
    }
    for name, value in (
        ("database", database),
        ("workgroup", workgroup),
        ("output_location", output_location),
    ):
        if value is not None:
            values[name] = value
    chosen = {name: value for name, value in values.items() if name in declared}
    for name, value in extra.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise InvalidRequest(
                f"--parameter {name}", f"{source.name} declares no such parameter; it has: {known}"
            )
        chosen[name] = value
    if backend == "local" and chosen.get("run_id") == run_id and source.stem not in CREATES_RUN:
        _check_local_run(run_id, data_dir)

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = report_stem(source.stem, run_id, day or dt.datetime.now(dt.UTC).date())
    executed = folder / f"{stem}.ipynb"
    html = folder / f"{stem}.html"
    execute_notebook(source, executed, chosen, cell_timeout_s=cell_timeout_s)
    export_html(executed, html)
    return ReportFiles(notebook=executed, html=html)


def parse_parameter(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` → (name, value): the value as JSON when it parses, else the text.

    >>> parse_parameter("run_a=base-001")
    ('run_a', 'base-001')
    >>> parse_parameter('metrics=["conversion_rate"]')
    ('metrics', ['conversion_rate'])

    Raises
    ------
    InvalidRequest
        No ``=`` or an empty name.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidRequest("--parameter", f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), json.loads(value)
    except ValueError:
        return name.strip(), value
