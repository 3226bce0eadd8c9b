# The one function: API Gateway requests and SQS batches, told apart by event shape
# (sweeplib.handler.lambda_handler). Every deploy publishes a version; the `live` alias
# points at the latest one, or at var.live_version to roll back. The API integration
# and the event source mapping both call the alias, never $LATEST.

resource "aws_cloudwatch_log_group" "sweep" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "sweep" {
  function_name = local.function_name
  description   = "sweeplib: accept sweep runs (API) and execute shards (SQS)"
  role          = aws_iam_role.sweep.arn
  handler       = local.handler
  runtime       = "python3.12"
  architectures = [var.lambda_architecture]
  timeout       = var.lambda_timeout_seconds
  memory_size   = var.lambda_memory_mb
  publish       = true

  s3_bucket         = aws_s3_object.lambda_artifact.bucket
  s3_key            = aws_s3_object.lambda_artifact.key
  s3_object_version = aws_s3_object.lambda_artifact.version_id
  source_code_hash  = filebase64sha256(var.lambda_zip_path)

  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = local.lambda_environment
  }

  logging_config {
    log_format = "Text" # Powertools already writes one JSON document per line
    log_group  = aws_cloudwatch_log_group.sweep.name
  }

  tracing_config {
    mode = "PassThrough"
  }

  depends_on = [aws_iam_role_policy.sweep]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "What the API and the shard queue invoke; pin with var.live_version to roll back"
  function_name    = aws_lambda_function.sweep.function_name
  function_version = coalesce(var.live_version, aws_lambda_function.sweep.version)
}
