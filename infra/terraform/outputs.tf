output "api_endpoint" {
  description = "Base URL of the HTTP API (`sweep submit --api <this>`)."
  value       = aws_apigatewayv2_api.sweep.api_endpoint
}

output "sweep_run_url" {
  description = "POST a sweep request here (SigV4, execute-api)."
  value       = "${aws_apigatewayv2_api.sweep.api_endpoint}/sweep-run"
}

output "results_bucket" {
  description = "Bucket of the outcome datasets (`sweep status --bucket <this>`)."
  value       = module.results_bucket.id
}

output "results_prefix" {
  description = "Key prefix of the datasets."
  value       = var.results_prefix
}

output "shard_queue_url" {
  description = "The shard queue."
  value       = aws_sqs_queue.shards.url
}

output "shard_dlq_url" {
  description = "Dead-letter queue of the shard queue."
  value       = aws_sqs_queue.shards_dlq.url
}

output "function_name" {
  description = "The Lambda function."
  value       = aws_lambda_function.sweep.function_name
}

output "published_version" {
  description = "Version published by this apply."
  value       = aws_lambda_function.sweep.version
}

output "live_version" {
  description = "Version the `live` alias (API and queue) runs."
  value       = aws_lambda_alias.live.function_version
}

output "artifact" {
  description = "The deployed zip: S3 location, object version and sha256."
  value = {
    bucket  = aws_s3_object.lambda_artifact.bucket
    key     = aws_s3_object.lambda_artifact.key
    version = aws_s3_object.lambda_artifact.version_id
    sha256  = aws_s3_object.lambda_artifact.metadata["sha256"]
  }
}

output "queue_dispatch_enabled" {
  description = "Whether submissions are accepted and the queue is consumed."
  value       = var.queue_dispatch_enabled
}

output "glue_database" {
  description = "Glue/Athena database of the six tables."
  value       = aws_glue_catalog_database.analytics.name
}

output "athena_workgroup" {
  description = "Athena workgroup for the notebooks and named queries."
  value       = aws_athena_workgroup.sweep.name
}

output "athena_results_location" {
  description = "Where the workgroup writes query results."
  value       = "s3://${module.athena_bucket.id}/results/"
}

output "researcher_policy_arn" {
  description = "Attach to researchers' roles: call the API, read outcomes, query Athena."
  value       = aws_iam_policy.researcher.arn
}

output "dlq_alarm" {
  description = "Alarm on the DLQ's depth."
  value       = aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_name
}
