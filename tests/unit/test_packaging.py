"""The dependency lists agree, the public surface is curated, the CLI documents itself."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# conda-forge publishes a few PyPI packages under other names
CONDA_NAMES = {"h3": "h3-py", "duckdb": "python-duckdb"}
# a PyPI extra has no conda equivalent: conda lists what the extra pulls in
CONDA_EXTRAS = {"moto[server]": ("flask", "flask-cors")}


def _split(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+(?:\[[a-z,]+\])?)\s*(.*)", requirement.strip())
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements.extend(extra)
    found = {}
    for name, spec in (_split(r) for r in requirements):
        for added in CONDA_EXTRAS.get(name, ()):
            found[added] = ""
        base = name.split("[", 1)[0]
        found[CONDA_NAMES.get(base, base)] = spec
    return found


def environment_requirements() -> dict[str, str]:
    found = {}
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
            continue
        if in_dependencies and re.match(r"^  - [A-Za-z]", line):
            name, spec = _split(line[4:])
            if name not in ("python", "pip"):
                found[name] = spec
    return found


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    assert environment_requirements() == pyproject_requirements()


def test_base_install_stays_lean_for_the_lambda_worker():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_split(r)[0] for r in project["dependencies"]}
    assert not names & {"pandas", "scipy", "duckdb", "matplotlib"}


@pytest.mark.parametrize("command", [[], ["plan"], ["simulate"]])
def test_cli_help_runs(command):
    completed = subprocess.run(
        [sys.executable, "-m", "sweeplib.cli", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: sweep" in completed.stdout


def test_readme_quickstart_commands_are_the_ci_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    quickstart = readme.split("## Quickstart", 1)[1].split("## ", 1)[0]
    blocks = quickstart.split("```sh\n")[1:]
    assert blocks[0].startswith("make demo\n")  # the demo is the first command
    assert blocks[1].startswith("make test\n")  # exactly what .ci/run runs


def test_the_handler_imports_without_pyarrow_numpy_or_the_kernel():
    """The Lambda's API path starts cold without the heavy libraries (issue 7 target); of the
    kernel it loads only the parameter table the request validators share (stdlib)."""
    code = (
        "import sys, sweeplib.handler\n"
        "heavy = [m for m in ('pyarrow', 'numpy', 'h3', 'sweeplib.sim.engine', 'sweeplib.worker',"
        " 'boto3')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""
