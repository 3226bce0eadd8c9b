# The Athena tables over the six datasets (DESIGN §3.4): database ride_sim_analytics,
# tables sweep_<dataset>, Parquet with the Hive layout
# `{prefix}/dataset=<name>/run_date=…/<partition>=…/part-0.parquet`.
#
# Their facts are not written here: athena_tables.json is rendered from the dataset
# registry (sweeplib.storage.schemas) by sweeplib.query.ddl — `make render-terraform` —
# as are the DDL statements of `sweep athena-bootstrap` (ADR 0007). It holds each table's
# columns (name, Athena type) in file order, its partition keys (all strings) in path
# order with their projection type, its status values and its location template.
# tests/unit/test_terraform.py fails while the committed file differs from a fresh
# rendering. Edit the registry and re-render; never edit the JSON by hand.
#
# Partition projection (ADR 0006) instead of registered partitions, so nothing has to add
# partitions when a shard lands. Each key is projected by its role (the key names differ
# per dataset; the renderer maps name → projection type):
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
  athena        = jsondecode(file("${path.module}/athena_tables.json"))
  glue_database = local.athena.database
  athena_tables = local.athena.tables
  # The bucket's name, not the module's output: known at plan time, so `terraform plan`
  # shows the tables' full parameters (the depends_on below keeps the ordering).
  data_location = "s3://${local.results_bucket_name}/${var.results_prefix}"

  # Where a partition's objects are, relative to the prefix: the keys of
  # sweeplib.storage.keys with Athena's ${column} placeholders (rendered).
  location_templates = {
    for table, spec in local.athena_tables : table => spec.location_template
  }

  # Each partition key's projection type (rendered), with this deployment's variables.
  projections = {
    for table, spec in local.athena_tables : table => merge([
      for key in spec.partition_keys : (
        spec.projections[key] == "date" ? {
          "projection.${key}.type"          = "date"
          "projection.${key}.format"        = "yyyy-MM-dd"
          "projection.${key}.range"         = "${var.projection_start_date},NOW"
          "projection.${key}.interval"      = "1"
          "projection.${key}.interval.unit" = "DAYS"
        } :
        spec.projections[key] == "enum" ? {
          "projection.${key}.type"   = "enum"
          "projection.${key}.values" = join(",", spec.statuses)
        } :
        spec.projections[key] == "integer" ? {
          "projection.${key}.type"  = "integer"
          "projection.${key}.range" = "0,${var.max_shards - 1}"
        } :
        {
          "projection.${key}.type" = spec.projections[key] # injected
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
  description   = "sweeplib dataset ${each.value.dataset} (schema ${local.athena.schema_version})"
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
        name = columns.value.name
        type = columns.value.type
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
