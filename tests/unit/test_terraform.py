"""Offline checks of infra/terraform: the invariants the deployment depends on, read from
the HCL parsed with python-hcl2 — queue/DLQ/ESM settings, IAM, bucket controls, the
dispatch toggle; the Glue tables' facts (``athena_tables.json``, rendered by
``sweeplib.query.ddl``) against ``sweeplib.storage.schemas`` and a fresh rendering.

The tools run in tests/integration: ``terraform validate`` / ``fmt`` / ``console`` and
checkov in test_terraform_tools.py, ``terraform plan`` against moto in
test_terraform_plan.py.

IAM rule, as checked here: no Allow statement has a wildcard action; wildcards appear only
in Deny statements (TLS-only, other accounts), which can only take rights away. No policy
allows ``lambda:InvokeFunction`` or ``s3:Delete*``; the one place ``lambda:InvokeFunction``
appears is API Gateway's resource-based permission on the alias, scoped by source ARN.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from sweeplib.query import ddl
from sweeplib.storage import keys
from sweeplib.storage.schemas import ATHENA_DATABASE, DATASET_SPECS

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "infra" / "terraform"
MODULE = TF / "modules" / "secure_bucket"
ATHENA_TABLES_FILE = ROOT / ddl.TERRAFORM_FILE
MAX_LAMBDA_TIMEOUT = 900


# -- parsing ------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """python-hcl2 output without its bookkeeping keys, string literals unquoted."""
    if isinstance(value, dict):
        return {
            _clean(k): _clean(v)
            for k, v in value.items()
            if k not in ("__comments__", "__is_block__")
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _merge(folder: Path) -> dict[str, Any]:
    """All .tf files of one folder: {"resource": {type: {name: body}}, "data": …,
    "variable": {name: body}, "locals": {name: value}, "module": {name: body}, …}."""
    merged: dict[str, Any] = {
        "resource": {},
        "data": {},
        "variable": {},
        "locals": {},
        "module": {},
    }
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            parsed = _clean(hcl2.load(handle))
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for type_, named in block.items():
                    merged[kind].setdefault(type_, {}).update(named)
        for kind in ("variable", "module"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
    return merged


STACK = _merge(TF)
BUCKET_MODULE = _merge(MODULE)
# The Glue tables' facts as glue.tf reads them (jsondecode of the committed file).
ATHENA = json.loads(ATHENA_TABLES_FILE.read_text())


def resource(type_: str, name: str, stack: dict[str, Any] = STACK) -> dict[str, Any]:
    return stack["resource"][type_][name]


def default(variable: str) -> Any:
    return STACK["variable"][variable]["default"]


def validations(variable: str) -> list[str]:
    return [v["condition"] for v in STACK["variable"][variable].get("validation", [])]


def ref(expression: str) -> str:
    """``"${var.x}"`` → ``"var.x"``."""
    match = re.fullmatch(r"\$\{(.*)\}", expression, re.S)
    assert match, expression
    return match.group(1)


def all_tf_code() -> str:
    """Every .tf file, comments removed (they may name what the code must not do)."""
    text = "\n".join(p.read_text() for p in sorted(TF.rglob("*.tf")))
    return re.sub(r"(^|\s)(#|//).*$", "", text, flags=re.M)


def policy_statements() -> list[tuple[str, dict[str, Any]]]:
    """Every statement of every aws_iam_policy_document, in the stack and the module."""
    found = []
    for stack in (STACK, BUCKET_MODULE):
        for name, document in stack["data"].get("aws_iam_policy_document", {}).items():
            for statement in document.get("statement", []):
                found.append((name, statement))
    return found


# -- the shard queue and its consumer -----------------------------------------------------


def test_visibility_timeout_is_at_least_six_function_timeouts():
    queue = resource("aws_sqs_queue", "shards")
    assert ref(queue["visibility_timeout_seconds"]) == "local.visibility_timeout_seconds"
    factor = re.fullmatch(
        r"(\d+) \* var\.lambda_timeout_seconds", ref(STACK["locals"]["visibility_timeout_seconds"])
    )
    assert factor and int(factor.group(1)) >= 6
    assert default("lambda_timeout_seconds") <= MAX_LAMBDA_TIMEOUT
    assert any("<= 900" in c for c in validations("lambda_timeout_seconds"))
    # 6 × the largest timeout must fit SQS's 12-hour visibility maximum
    assert int(factor.group(1)) * MAX_LAMBDA_TIMEOUT <= 43200


def test_the_queue_redrives_to_the_dlq_after_at_least_five_receives():
    redrive = ref(resource("aws_sqs_queue", "shards")["redrive_policy"])
    assert "deadLetterTargetArn = aws_sqs_queue.shards_dlq.arn" in redrive
    assert "maxReceiveCount = var.max_receive_count" in redrive
    assert default("max_receive_count") >= 5
    assert "${var.max_receive_count >= 5}" in validations("max_receive_count")


def test_the_dlq_keeps_messages_longer_than_the_queue():
    assert default("dlq_message_retention_seconds") > default("queue_message_retention_seconds")
    assert any("< 1209600" in c for c in validations("queue_message_retention_seconds"))
    preconditions = resource("aws_sqs_queue", "shards")["lifecycle"][0]["precondition"]
    assert any(
        ref(p["condition"])
        == "var.dlq_message_retention_seconds > var.queue_message_retention_seconds"
        for p in preconditions
    )
    assert resource("aws_sqs_queue", "shards_dlq")["message_retention_seconds"] == (
        "${var.dlq_message_retention_seconds}"
    )


def test_both_queues_are_encrypted():
    for name in ("shards", "shards_dlq"):
        assert resource("aws_sqs_queue", name)["sqs_managed_sse_enabled"] is True


def test_the_event_source_mapping_reports_batch_item_failures_with_bounded_concurrency():
    esm = resource("aws_lambda_event_source_mapping", "shards")
    assert esm["function_response_types"] == ["ReportBatchItemFailures"]
    assert ref(esm["event_source_arn"]) == "aws_sqs_queue.shards.arn"
    assert ref(esm["function_name"]) == "aws_lambda_alias.live.arn"
    assert ref(esm["batch_size"]) == "var.sqs_batch_size"
    assert default("sqs_batch_size") == 1
    assert ref(esm["scaling_config"][0]["maximum_concurrency"]) == "var.sqs_maximum_concurrency"
    assert default("sqs_maximum_concurrency") < default("lambda_reserved_concurrency")


def test_the_dispatch_toggle_drives_both_the_api_and_the_consumer():
    assert default("queue_dispatch_enabled") is True
    assert STACK["variable"]["queue_dispatch_enabled"]["type"] == "bool"
    env = STACK["locals"]["lambda_environment"]
    assert ref(env["DISPATCH_ENABLED"]) == "tostring(var.queue_dispatch_enabled)"
    esm = resource("aws_lambda_event_source_mapping", "shards")
    assert ref(esm["enabled"]) == "var.queue_dispatch_enabled"


def test_the_dlq_depth_has_an_alarm():
    alarm = resource("aws_cloudwatch_metric_alarm", "dlq_not_empty")
    assert alarm["namespace"] == "AWS/SQS"
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert ref(alarm["dimensions"]["QueueName"]) == "aws_sqs_queue.shards_dlq.name"
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["threshold"] == 0


# -- the function and the API -------------------------------------------------------------


def _config_variables() -> set[str]:
    """The environment variables sweeplib.config documents (its docstring table)."""
    import sweeplib.config

    return set(re.findall(r"^\| ``([A-Z0-9_]+)`` \|", sweeplib.config.__doc__ or "", re.M))


def test_the_function_runs_the_handler_with_the_config_environment():
    function = resource("aws_lambda_function", "sweep")
    assert ref(function["handler"]) == "local.handler"
    assert STACK["locals"]["handler"] == "sweeplib.handler.lambda_handler"
    assert function["runtime"] == "python3.12"
    assert ref(function["timeout"]) == "var.lambda_timeout_seconds"
    assert ref(function["memory_size"]) == "var.lambda_memory_mb"
    assert ref(function["reserved_concurrent_executions"]) == "var.lambda_reserved_concurrency"
    assert function["publish"] is True
    env = STACK["locals"]["lambda_environment"]
    assert ref(function["environment"][0]["variables"]) == "local.lambda_environment"
    documented = _config_variables()
    assert len(documented) >= 7
    assert {k for k in env if not k.startswith("POWERTOOLS_")} == documented
    assert ref(env["SWEEP_RESULTS_BUCKET"]) == "module.results_bucket.id"
    assert ref(env["SHARD_QUEUE_URL"]) == "aws_sqs_queue.shards.url"
    assert default("results_prefix") == keys.DEFAULT_PREFIX


def test_the_function_logs_to_a_group_with_retention():
    function = resource("aws_lambda_function", "sweep")
    group = resource("aws_cloudwatch_log_group", "sweep")
    assert ref(function["logging_config"][0]["log_group"]) == "aws_cloudwatch_log_group.sweep.name"
    assert ref(group["retention_in_days"]) == "var.log_retention_days"
    api_group = resource("aws_cloudwatch_log_group", "api_access")
    assert ref(api_group["retention_in_days"]) == "var.log_retention_days"


def test_the_api_has_four_iam_authorised_routes_and_throttling():
    routes = STACK["resource"]["aws_apigatewayv2_route"]
    assert {r["route_key"] for r in routes.values()} == {
        "POST /sweep-run",
        "GET /sweep-run/{run_id}",
        "POST /sweep-run/{run_id}/cancel",
        "POST /sweep-run/{run_id}/rerun",
    }
    assert {r["authorization_type"] for r in routes.values()} == {"AWS_IAM"}
    assert resource("aws_apigatewayv2_api", "sweep")["protocol_type"] == "HTTP"
    integration = resource("aws_apigatewayv2_integration", "sweep")
    assert ref(integration["integration_uri"]) == "aws_lambda_alias.live.invoke_arn"
    settings = resource("aws_apigatewayv2_stage", "default")["default_route_settings"][0]
    assert ref(settings["throttling_rate_limit"]) == "var.api_throttling_rate_limit"
    assert ref(settings["throttling_burst_limit"]) == "var.api_throttling_burst_limit"


def test_api_gateway_may_invoke_only_the_alias_and_only_from_its_routes():
    permissions = STACK["resource"]["aws_lambda_permission"]
    assert set(permissions) == {"api_submit", "api_status", "api_cancel", "api_rerun"}
    for permission in permissions.values():
        assert permission["action"] == "lambda:InvokeFunction"
        assert permission["principal"] == "apigateway.amazonaws.com"
        assert ref(permission["qualifier"]) == "aws_lambda_alias.live.name"
        assert permission["source_arn"].startswith("${aws_apigatewayv2_api.sweep.execution_arn}/")
        assert re.search(r"/(POST|GET)/sweep-run", permission["source_arn"])


# -- IAM ----------------------------------------------------------------------------------


def test_no_allow_statement_grants_a_wildcard_or_forbidden_action():
    statements = policy_statements()
    assert len(statements) >= 10
    for name, statement in statements:
        actions = statement.get("actions", [])
        assert "not_actions" not in statement, name
        assert actions, name
        if statement.get("effect", "Allow") == "Allow":
            assert not [a for a in actions if "*" in a], (name, actions)
        else:
            assert statement["effect"] == "Deny"
        lowered = [a.lower() for a in actions]
        assert "lambda:invokefunction" not in lowered, name
        assert not [a for a in lowered if a.startswith("s3:delete")], (name, actions)


def test_forbidden_actions_appear_nowhere_in_the_configuration():
    text = all_tf_code()
    assert not re.search(r"s3:Delete", text, re.I)
    # lambda:InvokeFunction only as API Gateway's resource-based permission
    lines = [line.strip() for line in text.splitlines() if "lambda:InvokeFunction" in line]
    assert lines == ['action        = "lambda:InvokeFunction"'] * 4
    assert '"*"' not in re.sub(r'identifiers = \["\*"\]|type\s+= "\*"', "", text)


def test_the_function_role_holds_exactly_what_the_handler_calls():
    document = STACK["data"]["aws_iam_policy_document"]["sweep"]
    actions = {a for s in document["statement"] for a in s["actions"]}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        # ADR 0022: a run's completion starts its Athena consolidation, in the workgroup.
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetWorkGroup",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetBucketLocation",
        "s3:AbortMultipartUpload",
        "s3:PutObjectTagging",
    }
    tagging = next(s for s in document["statement"] if "s3:PutObjectTagging" in s["actions"])
    assert tagging["actions"] == ["s3:PutObjectTagging"]
    assert all("/dataset=run_" in r for r in tagging["resources"])  # run tables only
    athena = next(s for s in document["statement"] if "athena:StartQueryExecution" in s["actions"])
    assert athena["resources"] == ["${aws_athena_workgroup.sweep.arn}"]
    objects = next(
        s for s in document["statement"] if s["actions"] == ["s3:GetObject", "s3:PutObject"]
    )
    assert objects["resources"] == ["${module.results_bucket.arn}/${var.results_prefix}/*"]
    policy = resource("aws_iam_role_policy", "sweep")
    assert ref(policy["policy"]) == "data.aws_iam_policy_document.sweep.json"
    assert "managed_policy_arns" not in resource("aws_iam_role", "sweep")


# -- buckets ------------------------------------------------------------------------------


def test_every_bucket_is_the_secure_bucket_module():
    assert "aws_s3_bucket" not in STACK["resource"]
    modules = STACK["module"]
    assert set(modules) == {"results_bucket", "artifacts_bucket", "athena_bucket"}
    assert {m["source"] for m in modules.values()} == {"./modules/secure_bucket"}


def test_the_bucket_module_blocks_all_public_access():
    block = resource("aws_s3_bucket_public_access_block", "this", BUCKET_MODULE)
    for flag in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block[flag] is True, flag
    ownership = resource("aws_s3_bucket_ownership_controls", "this", BUCKET_MODULE)
    assert ownership["rule"][0]["object_ownership"] == "BucketOwnerEnforced"


def test_the_bucket_module_denies_plain_http_and_other_accounts():
    document = BUCKET_MODULE["data"]["aws_iam_policy_document"]["bucket"]
    by_sid = {s["sid"]: s for s in document["statement"]}
    tls = by_sid["DenyInsecureTransport"]
    assert tls["effect"] == "Deny"
    assert tls["condition"][0]["test"] == "Bool"
    assert tls["condition"][0]["variable"] == "aws:SecureTransport"
    assert tls["condition"][0]["values"] == ["false"]
    assert set(tls["resources"]) == {
        "${aws_s3_bucket.this.arn}",
        "${aws_s3_bucket.this.arn}/*",
    }
    others = by_sid["DenyOtherAccounts"]
    assert others["effect"] == "Deny"
    assert others["condition"][0]["test"] == "StringNotEquals"
    assert others["condition"][0]["variable"] == "aws:PrincipalAccount"
    assert others["condition"][0]["values"] == ["${var.account_id}"]
    policy = resource("aws_s3_bucket_policy", "this", BUCKET_MODULE)
    assert ref(policy["policy"]) == "data.aws_iam_policy_document.bucket.json"


def test_the_bucket_module_encrypts_versions_and_expires_what_it_should():
    sse = resource("aws_s3_bucket_server_side_encryption_configuration", "this", BUCKET_MODULE)
    assert sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == (
        "AES256"
    )
    versioning = resource("aws_s3_bucket_versioning", "this", BUCKET_MODULE)
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    rules = resource("aws_s3_bucket_lifecycle_configuration", "this", BUCKET_MODULE)["rule"]
    by_id = {r["id"]: r for r in rules}
    assert "abort_incomplete_multipart_upload" in by_id["current-objects"]
    assert "noncurrent_version_expiration" in by_id["noncurrent-versions"]
    assert all(r["status"] == "Enabled" for r in rules)


# -- Glue and Athena ----------------------------------------------------------------------


def test_the_glue_tables_come_from_the_rendered_file():
    local = STACK["locals"]
    assert local["athena"] == '${jsondecode(file("${path.module}/athena_tables.json"))}'
    assert ATHENA_TABLES_FILE.parent == TF
    assert local["glue_database"] == "${local.athena.database}"
    assert local["athena_tables"] == "${local.athena.tables}"
    assert "for table, spec in local.athena_tables" in local["location_templates"]
    assert "spec.location_template" in local["location_templates"]
    code = re.sub(r"(^|\s)(#|//).*$", "", (TF / "glue.tf").read_text(), flags=re.M)
    # glue.tf itself names no column, partition key or status value
    for spec in DATASET_SPECS.values():
        for column in (*(name for name, _ in spec.athena_columns), *spec.partition_columns):
            assert f'"{column}"' not in code, column
    assert '"success,failure"' not in code and '"accepted"' not in code


def test_the_rendered_glue_tables_are_committed_fresh():
    committed = ATHENA_TABLES_FILE.read_text()
    fresh = ddl.render_terraform_json()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            f"{ddl.TERRAFORM_FILE} (committed)",
            f"{ddl.TERRAFORM_FILE} (rendered from the registry)",
        )
    )
    assert committed == fresh, (
        f"{ddl.TERRAFORM_FILE} is stale; regenerate it with `make render-terraform` "
        f"(python -m sweeplib.query.ddl --terraform > {ddl.TERRAFORM_FILE}):\n{diff}"
    )


def test_the_glue_tables_match_the_dataset_schemas():
    tables = ATHENA["tables"]
    assert list(tables) == [spec.table_name for spec in DATASET_SPECS.values()]
    assert ATHENA["database"] == ATHENA_DATABASE
    for spec in DATASET_SPECS.values():
        table = tables[spec.table_name]
        assert table["dataset"] == spec.name
        assert [(c["name"], c["type"]) for c in table["columns"]] == list(spec.athena_columns)
        assert tuple(table["partition_keys"]) == spec.partition_columns, spec.name
        assert list(table["projections"]) == list(spec.partition_columns), spec.name
        statuses = ["accepted"] if spec.name == "run_context" else ["success", "failure"]
        if spec.name.startswith("run_") and spec.name != "run_context":
            statuses = []  # run-level tables: no status partition (ADR 0016)
        assert table["statuses"] == statuses, spec.name


def test_every_glue_table_projects_its_partitions_from_string_keys():
    table = resource("aws_glue_catalog_table", "datasets")
    assert ref(table["for_each"]) == "local.athena_tables"
    parameters = ref(table["parameters"])
    assert '"projection.enabled" = "true"' in parameters
    assert '"storage.location.template"' in parameters
    assert "local.projections[each.key]" in parameters
    partition_keys = table["dynamic"][0]["partition_keys"]
    assert ref(partition_keys["for_each"]) == "each.value.partition_keys"
    assert partition_keys["content"][0]["type"] == "string"  # DESIGN §3.4
    storage = table["storage_descriptor"][0]
    assert storage["ser_de_info"][0]["serialization_library"].endswith("ParquetHiveSerDe")
    columns = storage["dynamic"][0]["columns"]
    assert ref(columns["for_each"]) == "each.value.columns"
    assert columns["content"][0] == {
        "name": "${columns.value.name}",
        "type": "${columns.value.type}",
    }
    projections = STACK["locals"]["projections"]
    assert "for key in spec.partition_keys" in projections
    for kind in ('"date"', '"enum"', '"integer"'):
        assert f"spec.projections[key] == {kind}" in projections
    # any other type is written as is: the renderer's only other type is `injected`
    assert '{"projection.${key}.type" = spec.projections[key]}' in projections
    rendered = {kind for t in ATHENA["tables"].values() for kind in t["projections"].values()}
    assert rendered == {"date", "injected", "enum", "integer"}


def test_the_athena_workgroup_enforces_its_result_location():
    workgroup = resource("aws_athena_workgroup", "sweep")
    configuration = workgroup["configuration"][0]
    assert configuration["enforce_workgroup_configuration"] is True
    location = configuration["result_configuration"][0]["output_location"]
    assert location == "s3://${module.athena_bucket.id}/results/"
    assert ref(configuration["bytes_scanned_cutoff_per_query"]) == (
        "var.athena_bytes_scanned_cutoff"
    )


def test_only_the_function_role_may_send_to_the_shard_queue():
    # Issue 15: a forged message must not even reach the queue from another principal.
    policy = resource("aws_sqs_queue_policy", "shards")
    assert ref(policy["policy"]) == "data.aws_iam_policy_document.shards_queue.json"
    document = STACK["data"]["aws_iam_policy_document"]["shards_queue"]
    (deny,) = [s for s in document["statement"] if s.get("sid") == "DenySendExceptTheFunction"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["sqs:SendMessage"]
    assert deny["resources"] == ["${aws_sqs_queue.shards.arn}"]
    (condition,) = deny["condition"]
    assert condition["test"] == "ArnNotEquals" and condition["variable"] == "aws:PrincipalArn"
    assert "aws_iam_role.sweep.arn" in str(condition["values"])
    assert "queue_tls_only" in str(document["source_policy_documents"])


# -- issue 15, item 11: operations -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "namespace", "metric", "dimension"),
    [
        ("lambda_errors", "AWS/Lambda", "Errors", "FunctionName"),
        ("lambda_throttles", "AWS/Lambda", "Throttles", "FunctionName"),
        ("lambda_duration_near_timeout", "AWS/Lambda", "Duration", "FunctionName"),
        ("queue_oldest_message", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName"),
    ],
)
def test_the_function_and_the_queue_have_their_alarms(name, namespace, metric, dimension):
    alarm = resource("aws_cloudwatch_metric_alarm", name)
    assert (alarm["namespace"], alarm["metric_name"]) == (namespace, metric)
    assert dimension in alarm["dimensions"]
    assert ref(alarm["alarm_actions"]) == "var.alarm_actions"
    assert alarm["comparison_operator"] == "GreaterThanThreshold"


def test_the_duration_alarm_fires_before_the_timeout():
    alarm = resource("aws_cloudwatch_metric_alarm", "lambda_duration_near_timeout")
    assert ref(alarm["threshold"]) == "var.lambda_timeout_seconds * 1000 * 0.9"
    assert alarm["statistic"] == "Maximum"


def test_max_request_bytes_is_validated_within_lambdas_payload_limit():
    (condition,) = validations("max_request_bytes")
    assert "var.max_request_bytes >= 1024" in condition
    assert "var.max_request_bytes <= 6291456" in condition


def test_commit_markers_and_run_claims_are_create_only_in_the_bucket_policy():
    module = STACK["module"]["results_bucket"]
    patterns = module["create_only_key_patterns"]
    assert "${var.results_prefix}/_runs/*/submission.json" in patterns
    assert "${var.results_prefix}/dataset=shard_outcomes/*/status_partition=success/*" in patterns
    assert "${var.results_prefix}/_runs/*/dispatch/round=??????.json" in patterns
    (dynamic,) = BUCKET_MODULE["data"]["aws_iam_policy_document"]["bucket"]["dynamic"]
    content = dynamic["statement"]["content"][0]
    assert content["sid"] == "DenyOverwritingCreateOnlyKeys" and content["effect"] == "Deny"
    assert content["actions"] == ["s3:PutObject"]
    (condition,) = content["condition"]
    assert (condition["test"], condition["variable"], condition["values"]) == (
        "Null",
        "s3:if-none-match",
        ["true"],
    )


def test_collected_objects_expire_by_tag_in_the_results_bucket():
    lifecycle = resource("aws_s3_bucket_lifecycle_configuration", "this", BUCKET_MODULE)
    (rule,) = [r for r in lifecycle["rule"] if r["id"] == "collected-objects"]
    assert rule["status"] == "Enabled"
    assert rule["filter"][0]["tag"][0] == {"key": "${var.collect_tag}", "value": "true"}
    assert rule["expiration"][0]["days"] == "${var.collect_after_days}"
    from sweeplib.storage.s3 import COLLECT_TAG

    assert STACK["module"]["results_bucket"]["collect_tag"] == COLLECT_TAG
