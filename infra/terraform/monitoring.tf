# A message in the DLQ is a shard that failed var.max_receive_count times (or a poison
# message): someone should look (`sweep status`, then `sweep rerun`).

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name          = "${local.stack}-shards-dlq-not-empty"
  alarm_description   = "Shard messages reached ${aws_sqs_queue.shards_dlq.name}: inspect with `sweep status --bucket`, then `sweep rerun RUN_ID --api-url <api_endpoint>` (docs/deploy.md)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.shards_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

# The function: errors (a shard that raised past its failure record, a handler bug),
# throttles (reserved concurrency exhausted: the API answers 429/5xx, shards wait) and
# invocations close to the timeout (a shard about to be cut off; the worker records
# `timeout` 5 s before it). The queue: a message waiting too long means workers are not
# keeping up or not running (event source mapping disabled, throttled).

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${local.stack}-function-errors"
  alarm_description   = "${local.function_name} raised errors: read its logs (event_name internal_error, storage_error)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.sweep.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${local.stack}-function-throttles"
  alarm_description   = "${local.function_name} was throttled: raise lambda_reserved_concurrency or lower sqs_maximum_concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.sweep.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_duration_near_timeout" {
  alarm_name          = "${local.stack}-function-duration-near-timeout"
  alarm_description   = "An invocation of ${local.function_name} ran past 90% of its ${var.lambda_timeout_seconds} s timeout: shards are too large (smaller shard_size) or the timeout too short."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = aws_lambda_function.sweep.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_timeout_seconds * 1000 * 0.9
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message" {
  alarm_name          = "${local.stack}-shards-oldest-message"
  alarm_description   = "A shard message waited over ${var.oldest_message_alarm_seconds} s in ${aws_sqs_queue.shards.name}: workers are not keeping up or not running (queue_dispatch_enabled, throttles)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.shards.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.oldest_message_alarm_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
