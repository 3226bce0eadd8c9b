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
