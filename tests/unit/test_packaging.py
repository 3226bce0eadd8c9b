"""The dependency lists agree with each other and keep the Lambda lean; the README runs
what CI runs. (The CLI as a process and the handler's cold imports are checked in
tests/functional.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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


def test_readme_quickstart_commands_are_the_ci_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    quickstart = readme.split("## Quickstart", 1)[1].split("## ", 1)[0]
    blocks = quickstart.split("```sh\n")[1:]
    assert blocks[0].startswith("make demo\n")  # the demo is the first command
    assert blocks[1].startswith("make test\n")  # exactly what .ci/run runs
