"""``terraform plan`` of infra/terraform against the moto server: values, guard rails.

A plan reads only the data sources (STS GetCallerIdentity, answered by moto on
127.0.0.1) and evaluates every expression whose inputs are known before apply, including
the variable validations and the lifecycle preconditions. An override file points the
AWS provider at moto with fake credentials, so nothing can reach AWS. (A full ``apply``
against moto is not attempted: the provider's waiters for SQS redrive-allow policies
never see moto's answer match.)

Skipped where terraform or its AWS provider is not installed locally (no registry access).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sweeplib.storage import keys
from sweeplib.storage.schemas import DATASET_SPECS

from .terraform import init, run_terraform, stack_copy

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"  # moto's account
SERVICES = (
    "sts", "s3", "sqs", "lambda", "iam", "apigatewayv2", "glue", "athena", "logs", "cloudwatch"
)  # fmt: skip

OVERRIDE = """\
provider "aws" {{
  region                      = var.aws_region
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
  default_tags {{
    tags = local.tags
  }}
}}
"""


@pytest.fixture(scope="module")
def stack(aws_environment, tmp_path_factory) -> Path:
    """infra/terraform copied, pointed at moto, initialised; a tiny zip as the artifact."""
    work, plugins = stack_copy(tmp_path_factory, "tf-plan")
    endpoints = "\n".join(f'    {s} = "{aws_environment}"' for s in SERVICES)
    (work / "zz_moto_override.tf").write_text(OVERRIDE.format(endpoints=endpoints))
    with zipfile.ZipFile(work / "artifact.zip", "w") as zf:
        zf.writestr("sweeplib/__init__.py", "")
    init(work, plugins)
    return work


def plan(stack: Path, **variables: Any) -> subprocess.CompletedProcess[str]:
    args = ["plan", "-input=false", "-no-color", "-lock=false", "-out=plan.bin"]
    values = {"lambda_zip_path": "artifact.zip", **variables}
    for name, value in values.items():
        rendered = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["-var", f"{name}={rendered}"]
    return run_terraform(stack, *args)


def planned(stack: Path) -> dict[str, dict[str, Any]]:
    shown = run_terraform(stack, "show", "-json", "plan.bin")
    assert shown.returncode == 0, shown.stderr
    changes = json.loads(shown.stdout)["resource_changes"]
    return {c["address"]: c["change"]["after"] for c in changes}


def test_the_stack_plans_with_dispatch_off_for_a_staged_rollout(stack):
    completed = plan(stack, queue_dispatch_enabled=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    after = planned(stack)

    esm = after["aws_lambda_event_source_mapping.shards"]
    assert esm["enabled"] is False
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    assert esm["batch_size"] == 1
    assert esm["scaling_config"] == [{"maximum_concurrency": 40}]

    queue = after["aws_sqs_queue.shards"]
    function = after["aws_lambda_function.sweep"]
    assert function["timeout"] == 900
    assert queue["visibility_timeout_seconds"] >= 6 * function["timeout"]
    assert function["handler"] == "sweeplib.handler.lambda_handler"
    assert function["runtime"] == "python3.12"
    assert function["reserved_concurrent_executions"] == 50
    dlq = after["aws_sqs_queue.shards_dlq"]
    assert dlq["message_retention_seconds"] > queue["message_retention_seconds"]

    bucket = f"sweeplib-dev-results-{ACCOUNT}"
    assert after["module.results_bucket.aws_s3_bucket.this"]["bucket"] == bucket
    for spec in DATASET_SPECS.values():
        table = after[f'aws_glue_catalog_table.datasets["{spec.table_name}"]']
        assert table["database_name"] == "ride_sim_analytics"
        columns = table["storage_descriptor"][0]["columns"]
        assert [(c["name"], c["type"]) for c in columns] == list(spec.athena_columns)
        assert [k["name"] for k in table["partition_keys"]] == list(spec.partition_columns)
        parameters = table["parameters"]
        assert parameters["projection.enabled"] == "true"
        template = parameters["storage.location.template"]
        base = f"s3://{bucket}/{keys.DEFAULT_PREFIX}/dataset={spec.name}/"
        assert template.startswith(base)
        assert all(f"{c}=${{{c}}}" in template for c in spec.partition_columns)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"sqs_maximum_concurrency": 60}, "sqs_maximum_concurrency must be below"),
        ({"dlq_message_retention_seconds": 86400}, "dlq_message_retention_seconds must exceed"),
    ],
)
def test_preconditions_refuse_unsafe_combinations_at_plan_time(stack, variables, message):
    # (single-variable rules are `validation` blocks, asserted in tests/unit/test_terraform.py)
    completed = plan(stack, **variables)
    assert completed.returncode != 0
    assert message in " ".join((completed.stdout + completed.stderr).split())
