# -- naming -------------------------------------------------------------------------------

variable "aws_region" {
  description = "Region of the whole stack."
  type        = string
  default     = "eu-central-1"
}

variable "name" {
  description = "Prefix of every resource name (lowercase letters, digits, hyphens)."
  type        = string
  default     = "sweeplib"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: 2-21 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment label (dev, staging, prod); part of names and tags."
  type        = string
  default     = "dev"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment: 2-10 lowercase letters or digits."
  }
}

# -- the Lambda ---------------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "The artifact of `make package` (python -m lambda_pkg build)."
  type        = string
  default     = "../../dist/sweep-lambda.zip"
}

variable "lambda_architecture" {
  description = "x86_64 or arm64; must match `python -m lambda_pkg build --arch`."
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_timeout_seconds" {
  description = "Function timeout: the longest shard plus margin (the API path answers in < 30 s regardless)."
  type        = number
  default     = 900
  validation {
    condition     = var.lambda_timeout_seconds >= 30 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be within [30, 900] (Lambda's maximum is 900)."
  }
}

variable "lambda_memory_mb" {
  description = "Function memory (CPU scales with it; the kernel is CPU-bound)."
  type        = number
  default     = 2048
  validation {
    condition     = var.lambda_memory_mb >= 512 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be within [512, 10240]."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function: API requests plus shard workers."
  type        = number
  default     = 50
  validation {
    condition     = var.lambda_reserved_concurrency >= 3
    error_message = "lambda_reserved_concurrency must be >= 3 (2 for the queue, 1 for the API)."
  }
}

variable "live_version" {
  description = "Pin the `live` alias to this published version (rollback); null follows the latest deploy."
  type        = string
  default     = null
  validation {
    condition     = var.live_version == null || can(regex("^[0-9]+$", var.live_version))
    error_message = "live_version must be a published version number such as \"7\", or null."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of the function."
  type        = string
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

# -- the staged rollout switch ------------------------------------------------------------

variable "queue_dispatch_enabled" {
  description = "Staged rollout: true accepts submissions (DISPATCH_ENABLED) and consumes the shard queue (event source mapping enabled); false answers POST with 503 and leaves queued shards waiting."
  type        = bool
  default     = true
}

# -- deployment limits (sweeplib.config) --------------------------------------------------

variable "results_prefix" {
  description = "SWEEP_RESULTS_PREFIX: base key prefix of the datasets."
  type        = string
  default     = "serverless-sweeps/outcomes"
  validation {
    condition     = can(regex("^[A-Za-z0-9._=+@,:~-]+(/[A-Za-z0-9._=+@,:~-]+)*$", var.results_prefix))
    error_message = "results_prefix: path segments of [A-Za-z0-9._=+@,:~-], no leading or trailing slash."
  }
}

variable "max_shards" {
  description = "MAX_SHARDS: most shards one run may have (also the shard id projection range)."
  type        = number
  default     = 1000
  validation {
    condition     = var.max_shards >= 1 && var.max_shards <= 100000
    error_message = "max_shards must be within [1, 100000]."
  }
}

variable "max_points" {
  description = "MAX_POINTS: most points one run may have."
  type        = number
  default     = 200000
  validation {
    condition     = var.max_points >= 1 && var.max_points <= 10000000
    error_message = "max_points must be within [1, 10000000]."
  }
}

variable "max_agents_per_point" {
  description = "MAX_AGENTS_PER_POINT: most riders, and most drivers, one point may have (the kernel honours up to 1,000,000)."
  type        = number
  default     = 1000000
  validation {
    condition     = var.max_agents_per_point >= 1 && var.max_agents_per_point <= 1000000
    error_message = "max_agents_per_point must be within [1, 1000000]."
  }
}

variable "max_request_bytes" {
  description = "MAX_REQUEST_BYTES: largest accepted request body (the default keeps a points design and its event inside Lambda's 6 MB payload)."
  type        = number
  default     = 5242880
  validation {
    # The function reads the same variable in [1, 10 MiB]; a synchronous Lambda invocation
    # carries at most 6 MiB (the whole API Gateway event, body included).
    condition     = var.max_request_bytes >= 1024 && var.max_request_bytes <= 6291456 && floor(var.max_request_bytes) == var.max_request_bytes
    error_message = "max_request_bytes must be a whole number within [1024, 6291456] (Lambda's 6 MiB payload limit)."
  }
}

# -- the shard queue ----------------------------------------------------------------------

variable "sqs_batch_size" {
  description = "Shard messages per invocation (1: one shard per invocation, the full timeout for it)."
  type        = number
  default     = 1
  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10
    error_message = "sqs_batch_size must be within [1, 10] (no batching window is configured)."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Most concurrent invocations the event source mapping starts (keep below the reserved concurrency so the API is never starved)."
  type        = number
  default     = 40
  validation {
    condition     = var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000
    error_message = "sqs_maximum_concurrency must be within [2, 1000]."
  }
}

variable "max_receive_count" {
  description = "Deliveries of a shard message before it moves to the DLQ."
  type        = number
  default     = 5
  validation {
    condition     = var.max_receive_count >= 5
    error_message = "max_receive_count must be >= 5 (throttled or cold deliveries count too)."
  }
}

variable "queue_message_retention_seconds" {
  description = "How long an unprocessed shard message waits on the shard queue (default 4 days)."
  type        = number
  default     = 345600
  validation {
    condition     = var.queue_message_retention_seconds >= 3600 && var.queue_message_retention_seconds < 1209600
    error_message = "queue_message_retention_seconds must be within [3600, 1209600) so the DLQ can keep messages longer."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long a dead-lettered shard message is kept (default and maximum 14 days)."
  type        = number
  default     = 1209600
  validation {
    condition     = var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds cannot exceed 14 days (1209600)."
  }
}

# -- the API ------------------------------------------------------------------------------

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second the HTTP API accepts."
  type        = number
  default     = 5
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the HTTP API accepts."
  type        = number
  default     = 10
}

# -- storage, analytics, operations --------------------------------------------------------

variable "results_bucket_name" {
  description = "Name of the results bucket; null derives <name>-<environment>-results-<account id>."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted results object version is kept."
  type        = number
  default     = 30
}

variable "artifact_noncurrent_version_expiration_days" {
  description = "Days an older Lambda artifact (a noncurrent version of the zip) is kept for rollbacks."
  type        = number
  default     = 180
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 30
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query data scan limit of the workgroup, in bytes (default 10 GiB)."
  type        = number
  default     = 10737418240
  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be >= 10 MiB (Athena's minimum)."
  }
}

variable "projection_start_date" {
  description = "First run_date the Athena tables project (yyyy-MM-dd); the range ends at NOW."
  type        = string
  default     = "2026-01-01"
  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.projection_start_date))
    error_message = "projection_start_date must be yyyy-MM-dd."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's CloudWatch log groups."
  type        = number
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when the DLQ holds messages (e.g. an SNS topic); empty: alarm state only."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "extra_queue_sender_arns" {
  description = "IAM role ARNs besides the function's that may send to the shard queue (e.g. an operator role that redrives the DLQ). Every other principal is denied sqs:SendMessage."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for arn in var.extra_queue_sender_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "extra_queue_sender_arns must hold IAM role ARNs (arn:aws:iam::<account>:role/…)."
  }
}

# -- alarms ---------------------------------------------------------------------------------

variable "oldest_message_alarm_seconds" {
  description = "Alarm when the oldest shard message has waited this long (workers stalled or throttled)."
  type        = number
  default     = 3600
  validation {
    condition     = var.oldest_message_alarm_seconds >= 60
    error_message = "oldest_message_alarm_seconds must be >= 60."
  }
}
