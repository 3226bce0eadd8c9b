# Least privilege. The function's role may write logs to its own log group, read and
# write objects under the results prefix, list the results bucket, send to and consume
# the shard queue: nothing else. No policy here allows lambda:InvokeFunction (fan-out is
# SQS, not Lambda-to-Lambda) or s3:DeleteObject (outcomes are append-only), and no Allow
# statement uses a wildcard action. The only invoke permission is API Gateway's
# resource-based one in api.tf, scoped to the two routes.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "sweep" {
  name               = "${local.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "sweep" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.sweep.arn}:*"]
  }

  statement {
    sid       = "ReadWriteOutcomes"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.results_bucket.arn}/${var.results_prefix}/*"]
  }

  # Unconditional on purpose: with a prefix condition, HeadObject on a missing key
  # would answer 403 instead of 404 (S3 decides by the caller's s3:ListBucket right on
  # the bucket), and the store's exists() treats 403 as an error.
  statement {
    sid       = "ListOutcomes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [module.results_bucket.arn]
  }

  statement {
    sid       = "EnqueueShards"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.shards.arn]
  }

  statement {
    sid       = "ConsumeShards"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.shards.arn]
  }

  # ADR 0022: the worker that completes a run starts its consolidation (Athena UNLOAD,
  # with this role's rights) and then removes generations nobody reads any more.
  statement {
    sid    = "ConsolidateRuns"
    effect = "Allow"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetWorkGroup",
    ]
    resources = [aws_athena_workgroup.sweep.arn]
  }

  statement {
    sid     = "ReadCatalogToConsolidate"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.analytics.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.analytics.name}/*",
    ]
  }

  statement {
    sid       = "AthenaQueryMetadata"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:AbortMultipartUpload"]
    resources = [module.athena_bucket.arn, "${module.athena_bucket.arn}/results/*"]
  }

  # Old generations are tagged, never deleted by the role: the bucket's lifecycle rule
  # expires objects tagged sweeplib-collect=true.
  statement {
    sid     = "CollectOldRunTableGenerations"
    effect  = "Allow"
    actions = ["s3:PutObjectTagging"]
    resources = [
      "${module.results_bucket.arn}/${var.results_prefix}/dataset=run_points/*",
      "${module.results_bucket.arn}/${var.results_prefix}/dataset=run_trips/*",
      "${module.results_bucket.arn}/${var.results_prefix}/dataset=run_snapshots/*",
    ]
  }
}

resource "aws_iam_role_policy" "sweep" {
  name   = "sweep-least-privilege"
  role   = aws_iam_role.sweep.id
  policy = data.aws_iam_policy_document.sweep.json
}

# For researchers and notebooks (attach it to their role or group): submit and watch
# runs over the API, read outcomes directly (`sweep status --bucket`), query Athena.
data "aws_iam_policy_document" "researcher" {
  statement {
    sid     = "CallSweepApi"
    effect  = "Allow"
    actions = ["execute-api:Invoke"]
    resources = [
      "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run",
      "${aws_apigatewayv2_api.sweep.execution_arn}/*/GET/sweep-run/*",
      "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run/*/cancel",
      "${aws_apigatewayv2_api.sweep.execution_arn}/*/POST/sweep-run/*/rerun",
    ]
  }

  statement {
    sid       = "ReadOutcomes"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${module.results_bucket.arn}/${var.results_prefix}/*"]
  }

  statement {
    sid       = "ListBuckets"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.results_bucket.arn, module.athena_bucket.arn]
  }

  statement {
    sid       = "AthenaQueryResults"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${module.athena_bucket.arn}/results/*"]
  }

  statement {
    sid    = "RunAthenaQueries"
    effect = "Allow"
    actions = [
      "athena:StartQueryExecution",
      "athena:StopQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetWorkGroup",
    ]
    resources = [aws_athena_workgroup.sweep.arn]
  }

  statement {
    sid     = "ReadCatalog"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.analytics.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.analytics.name}/*",
    ]
  }
}

resource "aws_iam_policy" "researcher" {
  name        = "${local.stack}-sweep-researcher"
  description = "Submit sweeps to the ${local.stack} API, read outcomes, query them with Athena"
  policy      = data.aws_iam_policy_document.researcher.json
}
