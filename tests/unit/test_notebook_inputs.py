"""Notebook inputs: relative folders resolve against the project root, not the working
directory; dict and list parameters may be JSON text (what ``papermill -p`` passes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sweeplib import analysis
from sweeplib.analysis import (
    PROJECT_DIR_ENV,
    build_request,
    json_list,
    json_object,
    project_root,
    resolve_data_dir,
)
from sweeplib.errors import InvalidRequest
from sweeplib.query import DuckDBQueryEngine

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder (``pyproject.toml``) with ``notebooks/`` and ``data/``; no
    ``SWEEPLIB_PROJECT_DIR``."""
    monkeypatch.delenv(PROJECT_DIR_ENV, raising=False)
    root = tmp_path / "proj"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'study'\n")
    return root


@pytest.mark.parametrize("start", [".", "notebooks"], ids=["from-root", "from-notebooks"])
def test_the_project_root_is_the_nearest_folder_with_a_marker(project, monkeypatch, start):
    monkeypatch.chdir(project / start)
    assert project_root() == project
    assert resolve_data_dir("data") == project / "data"


def test_a_git_checkout_is_a_project_too(tmp_path, monkeypatch):
    monkeypatch.delenv(PROJECT_DIR_ENV, raising=False)
    (tmp_path / "repo" / "deep" / "er").mkdir(parents=True)
    (tmp_path / "repo" / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git file
    assert project_root(cwd=tmp_path / "repo" / "deep" / "er") == tmp_path / "repo"


def test_the_environment_variable_names_the_root(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert project_root(cwd=project, environ={PROJECT_DIR_ENV: str(elsewhere)}) == elsewhere
    # relative to the working directory
    assert project_root(cwd=tmp_path, environ={PROJECT_DIR_ENV: "proj"}) == project


def test_outside_any_project_the_sweeplib_checkout_is_the_root(tmp_path):
    bare = tmp_path / "no-project"
    bare.mkdir()
    assert not any(
        (p / m).exists() for p in (bare, *bare.parents) for m in (".git", "pyproject.toml")
    )
    assert project_root(cwd=bare, environ={}) == CHECKOUT


def test_absolute_folders_are_taken_as_they_are(project, tmp_path):
    assert resolve_data_dir(tmp_path, cwd=project / "notebooks") == tmp_path


def test_a_missing_folder_is_an_error_naming_where_it_was_looked_for(project):
    with pytest.raises(InvalidRequest) as caught:
        resolve_data_dir("../data", cwd=project / "notebooks", environ={})
    assert caught.value.field == "data_dir"
    reason = str(caught.value)
    assert f"'../data' resolved to {project / '../data'}, which is not a folder" in reason
    assert f"relative to the project root {project}" in reason
    with pytest.raises(InvalidRequest, match="give the local outcome folder"):
        resolve_data_dir(None)
    # a folder a run will create need not exist yet
    made = resolve_data_dir("new-data", must_exist=False, cwd=project, environ={})
    assert made == project / "new-data" and not made.exists()


def test_open_engine_reads_the_projects_data_from_the_notebooks_folder(project, monkeypatch):
    monkeypatch.chdir(project / "notebooks")  # where JupyterLab runs a notebook
    assert not (project / "notebooks" / "data").exists()  # the working directory's: no
    assert isinstance(analysis.open_engine("local", data_dir="data"), DuckDBQueryEngine)
    with pytest.raises(InvalidRequest, match=f"resolved to {project / 'missing'}"):
        analysis.open_engine("local", data_dir="missing")


def test_execute_sweep_names_the_resolved_folder(project, monkeypatch):
    monkeypatch.chdir(project / "notebooks")
    request = build_request("fresh-run", {"num_riders": [1]}, shard_count=1)
    execution = analysis.execute_sweep(request, execute=False, data_dir="data")
    assert f"was not run in {project / 'data'}." in execution.message


# -- dict and list parameters as JSON text ----------------------------------------------


def test_json_text_becomes_the_dict_or_list_it_spells():
    assert json_object("dimensions", '{"num_riders": [100, 200]}') == {"num_riders": [100, 200]}
    assert json_object("design", {"kind": "lhs"}) == {"kind": "lhs"}
    assert json_object("design", None) is None
    assert json_object("design", "null") is None
    assert json_list("failure_injection_shards", "[1, 3]") == [1, 3]
    assert json_list("failure_injection_shards", (2,)) == [2]


@pytest.mark.parametrize(
    ("function", "value", "reason"),
    [
        (json_object, '{"num_riders": [100, 200]', "is not valid JSON"),
        (json_object, "num_riders=100", "is not valid JSON"),
        (json_object, "[100, 200]", "must be a JSON object (a dict), got list"),
        (json_object, 7, "must be a JSON object (a dict), got int"),
        (json_list, "1, 3", "is not valid JSON"),
        (json_list, '{"a": 1}', "must be a JSON array (a list), got dict"),
        (json_list, None, "must be a JSON array (a list), got NoneType"),
    ],
)
def test_bad_json_parameters_are_refused_naming_the_parameter(function, value, reason):
    with pytest.raises(InvalidRequest) as caught:
        function("the_parameter", value)
    assert caught.value.field == "the_parameter"
    assert reason in str(caught.value)


def test_build_request_takes_json_text_as_papermill_p_passes_it():
    as_text = build_request(
        "nb-json",
        '{"num_riders": [100, 200], "match_radius": [5]}',
        shard_size=1,
        failure_injection_shards="[1]",
    )
    as_objects = build_request(
        "nb-json", {"num_riders": [100, 200], "match_radius": [5]}, shard_size=1,
        failure_injection_shards=[1],
    )  # fmt: skip
    assert as_text.request_fingerprint == as_objects.request_fingerprint
    assert as_text.failure_injection_shards == (1,)
    design = '{"kind": "lhs", "samples": 4, "seed": 7, "ranges": {"commission_rate": "0:0.3"}}'
    sampled = build_request("nb-lhs", "null", design=design, shard_size=2)
    assert sampled.design_points == 4


def test_build_request_names_the_parameter_with_bad_json():
    with pytest.raises(InvalidRequest) as caught:
        build_request("nb", "{'num_riders': [100]}", shard_size=1)  # Python, not JSON
    assert caught.value.field == "dimensions"
    assert "is not valid JSON" in str(caught.value)
    with pytest.raises(InvalidRequest) as caught:
        build_request("nb", {"num_riders": [1]}, shard_size=1, failure_injection_shards="1,")
    assert caught.value.field == "failure_injection_shards"
    with pytest.raises(InvalidRequest) as caught:
        build_request("nb", '{"num_riders": 100}', shard_size=1)
    assert caught.value.field == "dimensions.num_riders"
