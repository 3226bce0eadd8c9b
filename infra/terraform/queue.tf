# The shard queue: one message per shard, consumed by the same function through an event
# source mapping with partial batch responses. A message that keeps failing moves to the
# DLQ after var.max_receive_count deliveries (an alarm watches the DLQ).

resource "aws_sqs_queue" "shards_dlq" {
  name                      = "${local.stack}-shards-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = var.dlq_message_retention_seconds
}

resource "aws_sqs_queue" "shards" {
  name                       = "${local.stack}-shards"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = local.visibility_timeout_seconds
  message_retention_seconds  = var.queue_message_retention_seconds
  max_message_size           = 262144
  receive_wait_time_seconds  = 20

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.shards_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  lifecycle {
    precondition {
      # A redriven message keeps its original enqueue time, so a DLQ that retains less
      # than the source queue would drop messages that just arrived.
      condition     = var.dlq_message_retention_seconds > var.queue_message_retention_seconds
      error_message = "dlq_message_retention_seconds must exceed queue_message_retention_seconds."
    }
    precondition {
      condition     = local.visibility_timeout_seconds >= 6 * var.lambda_timeout_seconds && local.visibility_timeout_seconds <= 43200
      error_message = "The visibility timeout (6 x lambda_timeout_seconds) must stay within SQS's 12 hours."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "shards_dlq" {
  queue_url = aws_sqs_queue.shards_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.shards.arn]
  })
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = {
    shards     = aws_sqs_queue.shards.arn
    shards_dlq = aws_sqs_queue.shards_dlq.arn
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Only the function's role sends shard messages (the API path enqueues through it); any other
# principal of the account is denied sqs:SendMessage, whatever its identity policy says. The
# worker checks every message against the run's submission record too (docs/worker.md), so
# this is the second of two locks. Operators who redrive the DLQ into this queue need their
# role in var.extra_queue_sender_arns (or use `sweep rerun`, which sends nothing themselves).
data "aws_iam_policy_document" "shards_queue" {
  source_policy_documents = [data.aws_iam_policy_document.queue_tls_only["shards"].json]

  statement {
    sid       = "DenySendExceptTheFunction"
    effect    = "Deny"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.shards.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = concat([aws_iam_role.sweep.arn], var.extra_queue_sender_arns)
    }
  }
}

resource "aws_sqs_queue_policy" "shards" {
  queue_url = aws_sqs_queue.shards.id
  policy    = data.aws_iam_policy_document.shards_queue.json
}

resource "aws_sqs_queue_policy" "shards_dlq" {
  queue_url = aws_sqs_queue.shards_dlq.id
  policy    = data.aws_iam_policy_document.queue_tls_only["shards_dlq"].json
}

resource "aws_lambda_event_source_mapping" "shards" {
  event_source_arn                   = aws_sqs_queue.shards.arn
  function_name                      = aws_lambda_alias.live.arn
  enabled                            = var.queue_dispatch_enabled
  batch_size                         = var.sqs_batch_size
  maximum_batching_window_in_seconds = 0
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.sqs_maximum_concurrency
  }

  lifecycle {
    precondition {
      condition     = var.sqs_maximum_concurrency < var.lambda_reserved_concurrency
      error_message = "sqs_maximum_concurrency must be below lambda_reserved_concurrency, or shard workers starve the API."
    }
  }

  depends_on = [aws_iam_role_policy.sweep]
}
