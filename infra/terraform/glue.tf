# The Athena tables over the six datasets (DESIGN §3.4): database ride_sim_analytics,
# tables sweep_<dataset>, columns and partition keys exactly those of
# sweeplib.storage.schemas (tests/unit/test_terraform.py keeps them equal), Parquet with
# the Hive layout `{prefix}/dataset=<name>/run_date=…/<partition>=…/part-0.parquet`.
#
# Partition projection (ADR 0006) instead of registered partitions, so nothing has to add
# partitions when a shard lands:
# * run_date: a date projection from var.projection_start_date to NOW, daily;
# * the run id column: `injected`. Run ids are free-form and cannot be enumerated, so
#   every query MUST filter it with literal equality or IN (`run_id_partition = 'r1'`);
#   Athena refuses a query that does not (CONSTRAINT_VIOLATION);
# * status: an enum of the values the writers use;
# * shard ids: an integer range [0, max_shards): dense and bounded, so an unfiltered
#   shard column projects at most 2 x max_shards partitions per run and day;
# * point indexes: `injected`. A run has up to max_points points in one folder each; an
#   integer range would make every per-point query project (and list) shards x points
#   prefixes (2 x 1,000 x 200,000 per run and day), past Athena's projection limits.
#   Per-point queries name their points (`point_index IN ('0','1',…)`, generated from
#   the run's plan) and should pin the shards too.

locals {
  glue_database = "ride_sim_analytics"
  # The bucket's name, not the module's output: known at plan time, so `terraform plan`
  # shows the tables' full parameters (the depends_on below keeps the ordering).
  data_location = "s3://${local.results_bucket_name}/${var.results_prefix}"

  # Column lists in file order (name, Athena type); partition keys in path order.
  per_point_partitions = ["run_date", "run_id", "status", "shard_id", "point_index"]

  athena_tables = {
    sweep_shard_outcomes = {
      dataset = "shard_outcomes"
      columns = [
        ["run_id", "string"],
        ["shard_id", "bigint"],
        ["status", "string"],
        ["start_index", "bigint"],
        ["end_index_exclusive", "bigint"],
        ["event_time", "string"],
        ["record_schema", "string"],
        ["result_key", "string"],
        ["points_processed", "bigint"],
        ["format", "string"],
        ["error_code", "string"],
        ["error_message", "string"],
      ]
      partition_keys = ["run_date", "run_id_partition", "status_partition", "shard_id_partition"]
      statuses       = "success,failure"
    }
    sweep_run_context = {
      dataset = "run_context"
      columns = [
        ["run_id", "string"],
        ["request_source", "string"],
        ["record_schema", "string"],
        ["request_fingerprint", "string"],
        ["config_fingerprint", "string"],
        ["total_points", "bigint"],
        ["shard_count", "bigint"],
        ["shard_strategy", "string"],
        ["max_shards", "bigint"],
      ]
      partition_keys = ["run_date", "run_id_partition", "status_partition"]
      statuses       = "accepted"
    }
    sweep_effective_parameters = {
      dataset = "effective_parameters"
      columns = [
        ["run_id", "string"],
        ["shard_id", "bigint"],
        ["point_index", "bigint"],
        ["status", "string"],
        ["record_schema", "string"],
        ["parameter_fingerprint", "string"],
        ["effective_parameters_json", "string"],
      ]
      partition_keys = ["run_date", "run_id_partition", "status_partition", "shard_id_partition", "point_index_partition"]
      statuses       = "success,failure"
    }
    sweep_shard_metrics = {
      dataset = "shard_metrics"
      columns = [
        ["total_riders", "bigint"],
        ["completed_riders", "bigint"],
        ["abandoned_quote_riders", "bigint"],
        ["cancelled_riders", "bigint"],
        ["conversion_rate", "double"],
        ["platform_revenue", "double"],
        ["driver_payouts", "double"],
        ["total_fares_collected", "double"],
        ["avg_time_to_match_ms", "double"],
        ["median_time_to_match_ms", "double"],
        ["p90_time_to_match_ms", "double"],
        ["avg_time_to_pickup_ms", "double"],
        ["median_time_to_pickup_ms", "double"],
        ["p90_time_to_pickup_ms", "double"],
        ["completed_trips", "bigint"],
        ["riders_abandoned_price", "bigint"],
        ["riders_abandoned_eta", "bigint"],
        ["riders_abandoned_stochastic", "bigint"],
      ]
      partition_keys = local.per_point_partitions
      statuses       = "success,failure"
    }
    sweep_trip_data = {
      dataset = "trip_data"
      columns = [
        ["trip_entity", "bigint"],
        ["rider_entity", "bigint"],
        ["driver_entity", "bigint"],
        ["state", "tinyint"],
        ["pickup_cell", "bigint"],
        ["dropoff_cell", "bigint"],
        ["pickup_distance_km_at_accept", "double"],
        ["requested_at", "bigint"],
        ["matched_at", "bigint"],
        ["pickup_at", "bigint"],
        ["dropoff_at", "bigint"],
        ["cancelled_at", "bigint"],
      ]
      partition_keys = local.per_point_partitions
      statuses       = "success,failure"
    }
    sweep_snapshot_counts = {
      dataset = "snapshot_counts"
      columns = [
        ["timestamp_ms", "bigint"],
        ["riders_browsing", "bigint"],
        ["riders_waiting", "bigint"],
        ["riders_in_transit", "bigint"],
        ["riders_completed", "bigint"],
        ["riders_cancelled", "bigint"],
        ["drivers_idle", "bigint"],
        ["drivers_evaluating", "bigint"],
        ["drivers_en_route", "bigint"],
        ["drivers_on_trip", "bigint"],
        ["drivers_off_duty", "bigint"],
        ["trips_en_route", "bigint"],
        ["trips_on_trip", "bigint"],
        ["trips_completed", "bigint"],
        ["trips_cancelled", "bigint"],
      ]
      partition_keys = local.per_point_partitions
      statuses       = "success,failure"
    }
  }

  # Where a partition's objects are, relative to the prefix: the keys of
  # sweeplib.storage.keys with Athena's ${column} placeholders.
  location_templates = {
    for table, spec in local.athena_tables : table => join("/", concat(
      ["dataset=${spec.dataset}"],
      [for key in spec.partition_keys : "${key}=$${${key}}"],
    ))
  }

  # Projection of each partition key, by its role (the key names differ per dataset).
  projections = {
    for table, spec in local.athena_tables : table => merge([
      for key in spec.partition_keys : (
        key == "run_date" ? {
          "projection.${key}.type"          = "date"
          "projection.${key}.format"        = "yyyy-MM-dd"
          "projection.${key}.range"         = "${var.projection_start_date},NOW"
          "projection.${key}.interval"      = "1"
          "projection.${key}.interval.unit" = "DAYS"
        } :
        startswith(key, "run_id") ? {
          "projection.${key}.type" = "injected"
        } :
        startswith(key, "status") ? {
          "projection.${key}.type"   = "enum"
          "projection.${key}.values" = spec.statuses
        } :
        startswith(key, "shard_id") ? {
          "projection.${key}.type"  = "integer"
          "projection.${key}.range" = "0,${var.max_shards - 1}"
        } :
        {
          "projection.${key}.type" = "injected"
        }
      )
    ]...)
  }
}

resource "aws_glue_catalog_database" "analytics" {
  name        = local.glue_database
  description = "sweeplib outcome datasets (Parquet in ${local.data_location})"
}

resource "aws_glue_catalog_table" "datasets" {
  for_each = local.athena_tables

  name          = each.key
  database_name = aws_glue_catalog_database.analytics.name
  description   = "sweeplib dataset ${each.value.dataset} (schema v1)"
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.projections[each.key], {
    EXTERNAL                    = "TRUE"
    classification              = "parquet"
    "parquet.compression"       = "SNAPPY"
    "projection.enabled"        = "true"
    "storage.location.template" = "${local.data_location}/${local.location_templates[each.key]}/"
  })

  storage_descriptor {
    location      = "${local.data_location}/dataset=${each.value.dataset}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value
      type = "string"
    }
  }

  depends_on = [module.results_bucket]
}
