"""The Athena tables rendered from the dataset registry (sweeplib.query.ddl).

``golden/athena_ddl.sql`` is the one written-out copy of the DDL: what
``sweep athena-bootstrap --bucket results --print`` shows with the default prefix,
projection start date and shard cap. A change to the registry that changes a table
shows up here as a failing test with a diff; when the change is intended, regenerate
the copy with that command and review its diff.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from sweeplib.cli import main as sweep
from sweeplib.errors import StorageError
from sweeplib.query import ddl
from sweeplib.query.bootstrap import ddl_statements
from sweeplib.storage import keys
from sweeplib.storage.schemas import DATASET_SPECS, dataset_spec

GOLDEN = Path(__file__).parent / "golden" / "athena_ddl.sql"
REGENERATE = "sweep athena-bootstrap --bucket results --print > tests/unit/golden/athena_ddl.sql"


def script(statements: list[tuple[str, str]]) -> str:
    """The statements as one SQL script, the way ``athena-bootstrap --print`` shows them."""
    return "".join(f"-- {name}\n{sql.rstrip()};\n\n" for name, sql in statements)


def assert_golden(rendered: str) -> None:
    golden = GOLDEN.read_text()
    diff = "".join(
        difflib.unified_diff(
            golden.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            "golden/athena_ddl.sql",
            "rendered from the registry",
        )
    )
    assert rendered == golden, f"the DDL changed; if intended, run `{REGENERATE}`:\n{diff}"


def test_the_renderer_produces_the_golden_ddl():
    statements = ddl.render_ddl(
        bucket="results",
        prefix="serverless-sweeps/outcomes",
        projection_start_date="2026-01-01",
        max_shards=1_000,
    )
    assert_golden(script(statements))


def test_bootstrap_and_its_command_line_render_the_golden_ddl(capsys):
    assert_golden(script(ddl_statements(bucket="results")))
    assert sweep(["athena-bootstrap", "--bucket", "results", "--print"]) == 0
    assert_golden(capsys.readouterr().out)


def test_statement_names_are_the_database_then_the_tables_in_registry_order():
    names = [name for name, _ in ddl_statements(bucket="results")]
    tables = [f"{n:02d}_{s.table_name}.sql" for n, s in enumerate(DATASET_SPECS.values(), 1)]
    assert names == ["00_database.sql", *tables]
    assert names[1:3] == ["01_sweep_shard_outcomes.sql", "02_sweep_run_context.sql"]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("run_date", "date"),
        ("run_id", "injected"),
        ("run_id_partition", "injected"),
        ("status", "enum"),
        ("status_partition", "enum"),
        ("shard_id", "integer"),
        ("shard_id_partition", "integer"),
        ("point_index", "injected"),
        ("point_index_partition", "injected"),
    ],
)
def test_a_partition_column_is_projected_by_its_role(column, expected):
    assert ddl.projection_type(column) == expected


def test_a_partition_column_without_a_role_is_refused():
    with pytest.raises(ValueError, match="design_point_partition"):
        ddl.projection_type("design_point_partition")


VALUES = {"run_date": "2026-02-14", "run_id": "r1", "shard_id": 3, "point_index": 17}


def fill(template: str, spec, **values) -> str:
    """A location template with its placeholders filled, by role, from ``values``."""
    for column in spec.partition_columns:
        template = template.replace(
            f"${{{column}}}", str(values[column.removesuffix("_partition")])
        )
    return template


def object_key(spec, prefix: str, status: str) -> str:
    """The key of one object, built from the rendered location template."""
    partitions = fill(keys.location_template(spec.name), spec, **VALUES, status=status)
    return "/".join(part for part in (prefix, partitions, keys.OBJECT_NAME) if part)


@pytest.mark.parametrize("name", list(DATASET_SPECS))
def test_location_templates_are_the_storage_keys(name):
    spec = dataset_spec(name)
    for status in ddl.statuses(spec):
        parsed = keys.parse_key(object_key(spec, "p/q", status))  # the keys' own parser
        assert (parsed.prefix, parsed.dataset, parsed.status) == ("p/q", name, status)
        assert (parsed.run_date, parsed.run_id) == ("2026-02-14", "r1")
        roles = {column.removesuffix("_partition") for column in spec.partition_columns}
        assert parsed.shard_id == (3 if "shard_id" in roles else None)
        assert parsed.point_index == (17 if "point_index" in roles else None)


@pytest.mark.parametrize("name", list(DATASET_SPECS))
def test_status_values_are_the_ones_the_keys_accept(name):
    spec = dataset_spec(name)
    expected = ("accepted",) if name == "run_context" else ("success", "failure")
    if name.startswith("run_") and name != "run_context":
        assert ddl.statuses(spec) == ()  # the run-level tables have no status partition
        return
    assert ddl.statuses(spec) == expected
    for status in {"accepted", "success", "failure"} - set(expected):
        with pytest.raises(StorageError, match="status"):
            keys.parse_key(object_key(spec, "p", status))


@pytest.mark.parametrize("prefix", ["", "/", "p/q"])
def test_locations_are_where_the_keys_put_the_objects(prefix):
    spec = dataset_spec("run_context")
    sql = dict(ddl_statements(bucket="b", prefix=prefix))["02_sweep_run_context.sql"]
    location = re.search(r"^LOCATION 's3://b/(.*)'$", sql, re.M)[1]
    template = re.search(r"'storage.location.template' = 's3://b/(.*)'", sql)[1]
    key = fill(template, spec, **VALUES, status="accepted") + keys.OBJECT_NAME
    assert keys.parse_key(key).prefix == keys.normalize_prefix(prefix)
    assert key.startswith(location)
    assert "//" not in key and not key.startswith("/")


def test_the_projection_uses_the_deployment_values():
    spec = dataset_spec("shard_metrics")
    properties = ddl.partition_projection(spec, projection_start_date="2026-03-01", max_shards=7)
    assert properties == {
        "projection.run_date.type": "date",
        "projection.run_date.format": "yyyy-MM-dd",
        "projection.run_date.range": "2026-03-01,NOW",
        "projection.run_date.interval": "1",
        "projection.run_date.interval.unit": "DAYS",
        "projection.run_id.type": "injected",
        "projection.status.type": "enum",
        "projection.status.values": "success,failure",
        "projection.shard_id.type": "integer",
        "projection.shard_id.range": "0,6",
        "projection.point_index.type": "injected",
    }


def test_the_terraform_rendering_holds_the_registry():
    rendered = ddl.render_terraform_json()
    assert rendered.endswith("}\n")
    assert json.loads(rendered) == ddl.terraform_tables()
    tables = json.loads(rendered)["tables"]
    assert list(tables) == [spec.table_name for spec in DATASET_SPECS.values()]
    for spec in DATASET_SPECS.values():
        table = tables[spec.table_name]
        assert [(c["name"], c["type"]) for c in table["columns"]] == list(spec.athena_columns)
        assert table["partition_keys"] == list(spec.partition_columns)
        assert table["projections"] == {c: ddl.projection_type(c) for c in spec.partition_columns}
        assert table["statuses"] == list(ddl.statuses(spec))
        assert table["location_template"] == keys.location_template(spec.name)
    # one column per line, so a registry change is a one-line diff
    assert '        {"name": "run_id", "type": "string"},\n' in rendered


def test_the_module_prints_the_terraform_rendering(capsys):
    assert ddl.main(["--terraform"]) == 0
    assert capsys.readouterr().out == ddl.render_terraform_json()
    with pytest.raises(SystemExit):
        ddl.main([])
