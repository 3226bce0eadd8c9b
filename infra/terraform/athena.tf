# The workgroup the notebooks and `sweep query --engine athena` use: results in the
# athena bucket, its settings enforced over the clients', a per-query scan limit.

resource "aws_athena_workgroup" "sweep" {
  name          = "${local.stack}-sweeps"
  description   = "Queries over ride_sim_analytics"
  state         = "ENABLED"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${module.athena_bucket.id}/results/"
      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}
