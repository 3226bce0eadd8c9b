-- sweep_run_context: the run_context dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_context (
    `run_id` string,
    `request_source` string,
    `record_schema` string,
    `request_fingerprint` string,
    `config_fingerprint` string,
    `total_points` bigint,
    `shard_count` bigint,
    `shard_strategy` string,
    `max_shards` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `status_partition` string
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=run_context/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '${projection_start_date},NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.status_partition.type' = 'enum',
    'projection.status_partition.values' = 'accepted',
    'storage.location.template' = 's3://${bucket}/${prefix}/dataset=run_context/run_date=${run_date}/run_id_partition=${run_id_partition}/status_partition=${status_partition}/',
    'classification' = 'parquet'
)
