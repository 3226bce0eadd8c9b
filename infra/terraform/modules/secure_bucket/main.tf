# A private, versioned, encrypted S3 bucket that only TLS requests from this account reach.
#
# Every bucket of the stack (results, Lambda artifacts, Athena query results) is one of
# these, so the controls are written once:
# * all four public-access-block flags on, ACLs disabled (BucketOwnerEnforced);
# * default encryption SSE-S3 (AES256), versioning on;
# * a bucket policy that denies plain-HTTP requests and any principal of another account;
# * lifecycle: abort incomplete multipart uploads, expire noncurrent versions (and, when
#   asked, current objects) after a number of days, drop orphaned delete markers.

resource "aws_s3_bucket" "this" {
  bucket        = var.name
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Current objects: abort unfinished multipart uploads; expire them only when asked.
  rule {
    id     = "current-objects"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_upload_days
    }
    dynamic "expiration" {
      for_each = var.current_version_expiration_days == null ? [] : [var.current_version_expiration_days]
      content {
        days = expiration.value
      }
    }
  }

  # Objects the application gave up (tagged), e.g. old run-table generations (ADR 0022).
  # A static rule in every bucket (nothing is tagged outside the results bucket): checkov
  # cannot evaluate a dynamic rule whose for_each is empty, and fails CKV_AWS_300 then.
  rule {
    id     = "collected-objects"
    status = "Enabled"
    filter {
      tag {
        key   = var.collect_tag
        value = "true"
      }
    }
    expiration {
      days = var.collect_after_days
    }
  }

  # Replaced or deleted versions, and delete markers left without versions.
  rule {
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  # Deny statements use s3:* on purpose: they take rights away, they grant nothing.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
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

  # Create-only keys (commit markers, run claims): a PUT of one of them without
  # If-None-Match is refused, so nothing — not even a principal allowed to write the
  # prefix — can overwrite one (S3 enforces conditional writes through s3:if-none-match).
  dynamic "statement" {
    for_each = length(var.create_only_key_patterns) > 0 ? [1] : []
    content {
      sid       = "DenyOverwritingCreateOnlyKeys"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = [for pattern in var.create_only_key_patterns : "${aws_s3_bucket.this.arn}/${pattern}"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "Null"
        variable = "s3:if-none-match"
        values   = ["true"]
      }
    }
  }

  statement {
    sid       = "DenyOtherAccounts"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
