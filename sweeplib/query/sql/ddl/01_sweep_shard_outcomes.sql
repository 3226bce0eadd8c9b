-- sweep_shard_outcomes: the shard_outcomes dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_shard_outcomes (
    `run_id` string,
    `shard_id` bigint,
    `status` string,
    `start_index` bigint,
    `end_index_exclusive` bigint,
    `event_time` string,
    `record_schema` string,
    `result_key` string,
    `points_processed` bigint,
    `format` string,
    `error_code` string,
    `error_message` string
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `status_partition` string,
    `shard_id_partition` string
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=shard_outcomes/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '${projection_start_date},NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.status_partition.type' = 'enum',
    'projection.status_partition.values' = 'success,failure',
    'projection.shard_id_partition.type' = 'integer',
    'projection.shard_id_partition.range' = '0,${max_shard_id}',
    'storage.location.template' = 's3://${bucket}/${prefix}/dataset=shard_outcomes/run_date=${run_date}/run_id_partition=${run_id_partition}/status_partition=${status_partition}/shard_id_partition=${shard_id_partition}/',
    'classification' = 'parquet'
)
