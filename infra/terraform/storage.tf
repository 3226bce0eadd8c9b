# Three buckets with the same controls (modules/secure_bucket):
# * results: the six Parquet datasets under var.results_prefix (Athena reads them);
# * artifacts: the Lambda zip, versioned, so an older artifact can be redeployed;
# * athena: the workgroup's query results, expired after var.athena_results_expiration_days.

module "results_bucket" {
  source                             = "./modules/secure_bucket"
  name                               = local.results_bucket_name
  account_id                         = local.account_id
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  tags                               = { purpose = "sweep outcome datasets" }
  # Old run-table generations are tagged by sweeplib (S3ObjectStore.collect, ADR 0022).
  collect_tag = "sweeplib-collect"
  # Written once with If-None-Match by sweeplib (claim_run, the dispatch rounds and rerun
  # claims, the worker's success record = commit marker): nobody may overwrite them.
  create_only_key_patterns = [
    "${var.results_prefix}/_runs/*/submission.json",
    "${var.results_prefix}/_runs/*/dispatch/round=??????.json",
    "${var.results_prefix}/_runs/*/dispatch/rerun=*.json",
    "${var.results_prefix}/dataset=shard_outcomes/*/status_partition=success/*",
    "${var.results_prefix}/_runs/*/consolidation/generation=*.json",
  ]
}

module "artifacts_bucket" {
  source                             = "./modules/secure_bucket"
  name                               = local.artifacts_bucket_name
  account_id                         = local.account_id
  noncurrent_version_expiration_days = var.artifact_noncurrent_version_expiration_days
  tags                               = { purpose = "lambda artifacts" }
}

module "athena_bucket" {
  source                             = "./modules/secure_bucket"
  name                               = local.athena_bucket_name
  account_id                         = local.account_id
  noncurrent_version_expiration_days = 1
  current_version_expiration_days    = var.athena_results_expiration_days
  tags                               = { purpose = "athena query results" }
}

# The zip goes through S3 whatever its size: uploads above 50 MB cannot go to Lambda
# directly, and the bucket's versions are the artifact history. The key stays fixed; the
# function points at the exact object version, and the sha256 travels as metadata.
resource "aws_s3_object" "lambda_artifact" {
  bucket      = module.artifacts_bucket.id
  key         = "lambda/${local.function_name}.zip"
  source      = var.lambda_zip_path
  source_hash = filemd5(var.lambda_zip_path)
  metadata = {
    sha256 = filesha256(var.lambda_zip_path)
  }
}
