-- sweep_trip_data: the trip_data dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_trip_data (
    `trip_entity` bigint,
    `rider_entity` bigint,
    `driver_entity` bigint,
    `state` tinyint,
    `pickup_cell` bigint,
    `dropoff_cell` bigint,
    `pickup_distance_km_at_accept` double,
    `requested_at` bigint,
    `matched_at` bigint,
    `pickup_at` bigint,
    `dropoff_at` bigint,
    `cancelled_at` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id` string,
    `status` string,
    `shard_id` string,
    `point_index` string
)
STORED AS PARQUET
LOCATION 's3://${bucket}/${prefix}/dataset=trip_data/'
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
    'storage.location.template' = 's3://${bucket}/${prefix}/dataset=trip_data/run_date=${run_date}/run_id=${run_id}/status=${status}/shard_id=${shard_id}/point_index=${point_index}/',
    'classification' = 'parquet'
)
