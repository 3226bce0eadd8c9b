data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  stack      = "${var.name}-${var.environment}"

  tags = merge(var.tags, {
    project     = "sweeplib"
    environment = var.environment
    managed-by  = "terraform"
  })

  results_bucket_name   = coalesce(var.results_bucket_name, "${local.stack}-results-${local.account_id}")
  artifacts_bucket_name = "${local.stack}-artifacts-${local.account_id}"
  athena_bucket_name    = "${local.stack}-athena-${local.account_id}"

  function_name = "${local.stack}-sweep"
  handler       = "sweeplib.handler.lambda_handler"
  # SQS hides a received message for the visibility timeout; a shard that is still
  # running when it expires is delivered again. Six function timeouts is AWS's guidance
  # for event source mappings (retries of throttled invocations fit inside it).
  visibility_timeout_seconds = 6 * var.lambda_timeout_seconds

  # The function's environment: exactly the variables sweeplib.config reads.
  lambda_environment = {
    SWEEP_RESULTS_BUCKET  = module.results_bucket.id
    SHARD_QUEUE_URL       = aws_sqs_queue.shards.url
    SWEEP_RESULTS_PREFIX  = var.results_prefix
    MAX_SHARDS            = tostring(var.max_shards)
    MAX_POINTS            = tostring(var.max_points)
    MAX_REQUEST_BYTES     = tostring(var.max_request_bytes)
    MAX_AGENTS_PER_POINT  = tostring(var.max_agents_per_point)
    DISPATCH_ENABLED      = tostring(var.queue_dispatch_enabled)
    SWEEP_ARTIFACT_SHA256 = filesha256(var.lambda_zip_path)
    # A run's completion starts its Athena consolidation in this workgroup (ADR 0022).
    SWEEP_ATHENA_WORKGROUP       = aws_athena_workgroup.sweep.name
    SWEEP_ATHENA_OUTPUT_LOCATION = "s3://${module.athena_bucket.id}/results/"
    POWERTOOLS_SERVICE_NAME      = "sweeplib"
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }
}
