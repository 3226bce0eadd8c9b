-- sweep_shard_metrics: the shard_metrics dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_shard_metrics (
    `total_riders` bigint,
    `completed_riders` bigint,
    `abandoned_quote_riders` bigint,
    `cancelled_riders` bigint,
    `conversion_rate` double,
    `platform_revenue` double,
    `driver_payouts` double,
    `total_fares_collected` double,
    `avg_time_to_match_ms` double,
    `median_time_to_match_ms` double,
    `p90_time_to_match_ms` double,
    `avg_time_to_pickup_ms` double,
    `median_time_to_pickup_ms` double,
    `p90_time_to_pickup_ms` double,
    `completed_trips` bigint,
    `riders_abandoned_price` bigint,
    `riders_abandoned_eta` bigint,
    `riders_abandoned_stochastic` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id` string,
    `status` string,
    `shard_id` string,
    `point_index` string
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=shard_metrics/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '${projection_start_date},NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id.type' = 'injected',
    'projection.status.type' = 'enum',
    'projection.status.values' = 'success,failure',
    'projection.shard_id.type' = 'integer',
    'projection.shard_id.range' = '0,${max_shard_id}',
    'projection.point_index.type' = 'injected',
    'storage.location.template' = 's3://${bucket}/${prefix}/dataset=shard_metrics/run_date=${run_date}/run_id=${run_id}/status=${status}/shard_id=${shard_id}/point_index=${point_index}/',
    'classification' = 'parquet'
)
