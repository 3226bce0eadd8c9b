"""infra/terraform checked by the tools themselves, offline: ``terraform validate`` /
``fmt`` / ``console`` with the AWS provider from a local plugin folder (the computed locals:
partition projection, location templates, the Glue tables as terraform decodes them,
equal to ``sweep athena-bootstrap``'s DDL), and checkov with ``infra/.checkov.yaml``.

The HCL itself, parsed with python-hcl2, is checked in tests/unit/test_terraform.py;
``terraform plan`` against moto in test_terraform_plan.py. terraform tests are skipped
where terraform or the provider is not installed (no registry access here); checkov is
skipped when not installed, except under CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sweeplib.storage import keys
from sweeplib.storage.schemas import DATASET_SPECS

from .terraform import ROOT, init, run_terraform, stack_copy

CHECKOV_CONFIG = ROOT / "infra" / ".checkov.yaml"


# -- terraform itself (offline, local provider) -------------------------------------------


@pytest.fixture(scope="module")
def terraform_dir(tmp_path_factory) -> Path:
    """A copy of infra/terraform, initialised against the local provider folder."""
    work, plugins = stack_copy(tmp_path_factory, "tf")
    init(work, plugins)
    return work


def _terraform(folder: Path, *args: str, stdin: str | None = None) -> str:
    extra = () if args[0] == "console" else ("-no-color",)
    completed = run_terraform(folder, *args, *extra, stdin=stdin, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _evaluate(folder: Path, expression: str) -> Any:
    out = _terraform(folder, "console", stdin=f"jsonencode({expression})\n")
    return json.loads(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def evaluated(terraform_dir) -> dict[str, Any]:
    """The computed locals, evaluated by terraform itself (one console call)."""
    return _evaluate(
        terraform_dir,
        "{projections = local.projections, templates = local.location_templates,"
        " tables = local.athena_tables, database = local.glue_database}",
    )


@pytest.mark.slow
def test_terraform_validates_and_is_formatted(terraform_dir):
    assert "The configuration is valid" in _terraform(terraform_dir, "validate")
    _terraform(terraform_dir, "fmt", "-check", "-recursive")


ROLE_PROJECTIONS = {
    "run_date": {
        "type": "date",
        "format": "yyyy-MM-dd",
        "range": "2026-01-01,NOW",
        "interval": "1",
        "interval.unit": "DAYS",
    },
    "run_id": {"type": "injected"},
    "generation": {"type": "injected"},  # run-level tables (ADR 0016)
    "shard_id": {"type": "integer", "range": "0,999"},
    "point_index": {"type": "injected"},
}


@pytest.mark.slow
def test_every_partition_key_is_projected_by_its_role(evaluated):
    projections = evaluated["projections"]
    for spec in DATASET_SPECS.values():
        expected = {}
        for column in spec.partition_columns:
            role = column.removesuffix("_partition")
            if role == "status":
                values = "accepted" if spec.name == "run_context" else "success,failure"
                settings = {"type": "enum", "values": values}
            else:
                settings = ROLE_PROJECTIONS[role]
            expected.update({f"projection.{column}.{k}": v for k, v in settings.items()})
        assert projections[spec.table_name] == expected, spec.name


@pytest.mark.slow
def test_location_templates_are_the_storage_keys(evaluated):
    templates = evaluated["templates"]
    prefix = "p"
    samples = {
        "shard_outcomes": keys.RunAddress.of("2026-02-14", "r1", prefix=prefix).shard_outcome_key(
            "success", 3
        ),
        "run_context": keys.RunAddress.of("2026-02-14", "r1", prefix=prefix).run_context_key(),
        "effective_parameters": keys.RunAddress.of("2026-02-14", "r1", prefix=prefix).point_key(
            "effective_parameters", "success", 3, 17
        ),
        **{
            name: keys.RunAddress.of("2026-02-14", "r1", prefix=prefix).point_key(
                name, "success", 3, 17
            )
            for name in keys.POINT_DATASETS
        },
        **{
            name: keys.RunAddress.of("2026-02-14", "r1", prefix=prefix).run_table_key(name, 5)
            for name in keys.RUN_TABLE_DATASETS
        },
        "run_consolidation": keys.RunAddress.of(
            "2026-02-14", "r1", prefix=prefix
        ).consolidation_key(),
    }
    values = {"run_date": "2026-02-14", "run_id": "r1", "status": "success", "shard_id": "3"}
    values["generation"] = "5"
    values |= {"point_index": "17", "run_context_status": "accepted"}
    for spec in DATASET_SPECS.values():
        location = templates[spec.table_name]
        for column in spec.partition_columns:
            role = column.removesuffix("_partition")
            if spec.name == "run_context" and role == "status":
                role = "run_context_status"
            location = location.replace(f"${{{column}}}", values[role])
        assert f"{prefix}/{location}/{keys.OBJECT_NAME}" == samples[spec.name], spec.name


# -- checkov ------------------------------------------------------------------------------


def _checkov() -> str | None:
    candidates = [os.environ.get("CHECKOV"), str(ROOT / ".venv-checkov" / "bin" / "checkov")]
    candidates.append(shutil.which("checkov"))
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.mark.slow
def test_checkov_finds_nothing_beyond_the_justified_skips():
    checkov = _checkov()
    if checkov is None:
        if os.environ.get("CI"):
            pytest.fail("checkov is not installed (make checkov)")
        pytest.skip("checkov is not installed (make checkov)")
    completed = subprocess.run(
        [checkov, "--config-file", str(CHECKOV_CONFIG), "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    reports = json.loads(completed.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summary = {r["check_type"]: r["summary"] for r in reports}
    failed = [
        (c["check_id"], c["resource"])
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert failed == []
    assert summary["terraform"]["parsing_errors"] == 0
    assert summary["terraform"]["passed"] >= 100
    assert completed.returncode == 0


# -- the same tables as `sweep athena-bootstrap` ------------------------------------------

_TABLE = re.compile(
    r"CREATE EXTERNAL TABLE IF NOT EXISTS (\w+)\.(\w+) \((.*?)\)\s*PARTITIONED BY \((.*?)\)", re.S
)
_COLUMN = re.compile(r"`(\w+)` (\w+)")
_PROPERTY = re.compile(r"'([^']+)' = '([^']*)'")


def _rendered_ddl() -> dict[str, dict[str, Any]]:
    from sweeplib.query.bootstrap import ddl_statements

    tables = {}
    statements = ddl_statements(
        bucket="bucket-b", prefix=keys.DEFAULT_PREFIX, projection_start_date="2026-01-01"
    )
    for _, sql in statements:
        match = _TABLE.search(sql)
        if match is None:
            continue
        database, table, columns, partitions = match.groups()
        tables[table] = {
            "database": database,
            "columns": _COLUMN.findall(columns),
            "partition_keys": [name for name, _ in _COLUMN.findall(partitions)],
            "properties": dict(_PROPERTY.findall(sql.split("TBLPROPERTIES", 1)[1])),
        }
    return tables


@pytest.mark.slow
def test_the_glue_tables_are_the_athena_bootstrap_ddl(evaluated):
    ddl_tables = _rendered_ddl()
    tables = evaluated["tables"]  # what terraform decoded from athena_tables.json
    assert set(ddl_tables) == set(tables)
    for name, table in ddl_tables.items():
        assert table["database"] == evaluated["database"]
        assert table["columns"] == [(c["name"], c["type"]) for c in tables[name]["columns"]], name
        assert table["partition_keys"] == tables[name]["partition_keys"], name
        properties = table["properties"]
        projection = {k: v for k, v in properties.items() if k.startswith("projection.")}
        assert projection == {"projection.enabled": "true", **evaluated["projections"][name]}
        template = f"s3://bucket-b/{keys.DEFAULT_PREFIX}/{evaluated['templates'][name]}/"
        assert properties["storage.location.template"] == template, name
        assert properties["classification"] == "parquet"
