"""Notebook inputs: folders resolved against the project, dict and list parameters as JSON.

Notebook parameters arrive from the ``parameters`` cell, from papermill (``-p`` passes
text, numbers, ``True``/``False``/``None``; ``-y`` passes YAML) or from ``sweep report -p``
(JSON when it parses). The functions the notebooks call accept either form, so
``papermill … -p dimensions '{"num_riders": [100, 200]}'`` works as ``-y`` does.

**Relative folders are resolved against the project root, never the working directory**,
so a notebook reads the same ``data_dir`` from JupyterLab (which runs it in
``notebooks/``), from papermill started at the repository root or in a subfolder, and
from ``sweep report``. The project root (:func:`project_root`) is, first that applies:

1. the folder named by the environment variable :data:`PROJECT_DIR_ENV`
   (``SWEEPLIB_PROJECT_DIR``);
2. the nearest of the working directory and its parents that holds a ``pyproject.toml``
   or ``.git`` (a checkout of this repository, or your own project);
3. the checkout ``sweeplib`` is imported from (an editable install), so papermill
   started outside any project still finds the repository's ``data/``;
4. the working directory.

Absolute folders are taken as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sweeplib.errors import InvalidRequest

__all__ = [
    "PROJECT_DIR_ENV",
    "PROJECT_MARKERS",
    "json_list",
    "json_object",
    "project_root",
    "resolve_data_dir",
]

#: Names the project root explicitly (absolute, or relative to the working directory).
PROJECT_DIR_ENV: Final = "SWEEPLIB_PROJECT_DIR"
#: A folder holding one of these is a project root.
PROJECT_MARKERS: Final = ("pyproject.toml", ".git")


def _checkout() -> Path | None:
    """The repository checkout this ``sweeplib`` is imported from, if it is one."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "sweeplib").is_dir() else None


def project_root(
    *, cwd: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The folder relative notebook paths are resolved against (see the module's rule).

    Parameters
    ----------
    cwd
        The working directory (default: the process's).
    environ
        The environment (default: ``os.environ``).
    """
    here = Path.cwd() if cwd is None else Path(cwd).absolute()
    named = (os.environ if environ is None else environ).get(PROJECT_DIR_ENV)
    if named:
        return (here / Path(named).expanduser()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return _checkout() or here


def resolve_data_dir(
    data_dir: str | os.PathLike[str] | None,
    *,
    field: str = "data_dir",
    must_exist: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """An outcome folder as an absolute path: a relative one under :func:`project_root`.

    Parameters
    ----------
    data_dir
        The folder as the notebook gives it (``"data"``, ``"/srv/outcomes"``).
    field
        Names the parameter in errors.
    must_exist
        Refuse a folder that does not exist (reading); ``False`` when a run creates it.

    Raises
    ------
    InvalidRequest
        ``data_dir`` is missing, or (``must_exist``) not a folder: the reason names the
        path it resolved to and the project root it was resolved against.
    """
    if data_dir is None or not str(data_dir).strip():
        raise InvalidRequest(field, "give the local outcome folder (e.g. 'data')")
    given = Path(data_dir).expanduser()
    root: Path | None = None
    if given.is_absolute():
        path = given
    else:
        root = project_root(cwd=cwd, environ=environ)
        path = root / given
    if must_exist and not path.is_dir():
        how = (
            f" (relative to the project root {root}; set {PROJECT_DIR_ENV} or give an "
            "absolute path to read elsewhere)"
            if root is not None
            else ""
        )
        raise InvalidRequest(
            field, f"{str(data_dir)!r} resolved to {path}, which is not a folder{how}"
        )
    return path


def _parsed(name: str, value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            name,
            f"is not valid JSON ({error.msg} at character {error.pos}): {value!r}; "
            f"with papermill: -p {name} '<JSON>', or -y \"{name}: <YAML>\"",
        ) from None


def json_object(name: str, value: Any) -> Mapping[str, Any] | None:
    """A dict parameter: a mapping as is, ``None``, or a JSON object given as text.

    >>> json_object("dimensions", '{"num_riders": [100, 200]}')
    {'num_riders': [100, 200]}

    Raises
    ------
    InvalidRequest
        ``field`` ``name``: text that is not JSON, or JSON that is not an object.
    """
    parsed = _parsed(name, value) if isinstance(value, str) else value
    if parsed is None or isinstance(parsed, Mapping):
        return parsed
    raise InvalidRequest(
        name, f"must be a JSON object (a dict), got {type(parsed).__name__}: {parsed!r}"
    )


def json_list(name: str, value: Any) -> list[Any]:
    """A list parameter: a list or tuple as is, or a JSON array given as text.

    >>> json_list("failure_injection_shards", "[1, 3]")
    [1, 3]

    Raises
    ------
    InvalidRequest
        ``field`` ``name``: text that is not JSON, or anything but an array.
    """
    parsed = _parsed(name, value) if isinstance(value, str) else value
    if isinstance(parsed, list | tuple):
        return list(parsed)
    raise InvalidRequest(
        name, f"must be a JSON array (a list), got {type(parsed).__name__}: {parsed!r}"
    )
