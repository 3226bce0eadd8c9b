variable "name" {
  description = "Bucket name (globally unique)."
  type        = string
}

variable "account_id" {
  description = "The only AWS account whose principals may use the bucket."
  type        = string
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept."
  type        = number
  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "Keep noncurrent versions at least one day."
  }
}

variable "current_version_expiration_days" {
  description = "Expire current objects after this many days (null: never)."
  type        = number
  default     = null
}

variable "abort_incomplete_upload_days" {
  description = "Days after which an unfinished multipart upload is aborted."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
}

variable "create_only_key_patterns" {
  description = "Key patterns (S3 ARN wildcards, relative to the bucket) that may only be created, never overwritten: PUTs without If-None-Match are denied."
  type        = list(string)
  default     = []
}

variable "collect_tag" {
  description = "Objects tagged with this key = \"true\" expire after collect_after_days."
  type        = string
  default     = "sweeplib-collect"
}

variable "collect_after_days" {
  description = "Days after which an object tagged collect_tag = \"true\" expires."
  type        = number
  default     = 1
}
