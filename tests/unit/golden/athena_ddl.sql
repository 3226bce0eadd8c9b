-- 00_database.sql
-- The Glue database of the outcome datasets and the run-level tables.
CREATE DATABASE IF NOT EXISTS ride_sim_analytics
COMMENT 'sweeplib outcome datasets (schema v1)';

-- 01_sweep_shard_outcomes.sql
-- sweep_shard_outcomes: the shard_outcomes dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
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
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=shard_outcomes/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.status_partition.type' = 'enum',
    'projection.status_partition.values' = 'success,failure',
    'projection.shard_id_partition.type' = 'integer',
    'projection.shard_id_partition.range' = '0,999',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=shard_outcomes/run_date=${run_date}/run_id_partition=${run_id_partition}/status_partition=${status_partition}/shard_id_partition=${shard_id_partition}/',
    'classification' = 'parquet'
);

-- 02_sweep_run_context.sql
-- sweep_run_context: the run_context dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_context (
    `run_id` string,
    `request_source` string,
    `record_schema` string,
    `request_fingerprint` string,
    `config_fingerprint` string,
    `total_points` bigint,
    `shard_count` bigint,
    `shard_strategy` string,
    `max_shards` bigint,
    `design_kind` string,
    `design_points` bigint,
    `replications` bigint,
    `seeding` string,
    `sweeplib_version` string,
    `kernel_hash` string,
    `artifact_sha256` string
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `status_partition` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=run_context/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.status_partition.type' = 'enum',
    'projection.status_partition.values' = 'accepted',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=run_context/run_date=${run_date}/run_id_partition=${run_id_partition}/status_partition=${status_partition}/',
    'classification' = 'parquet'
);

-- 03_sweep_effective_parameters.sql
-- sweep_effective_parameters: the effective_parameters dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_effective_parameters (
    `run_id` string,
    `shard_id` bigint,
    `point_index` bigint,
    `status` string,
    `record_schema` string,
    `parameter_fingerprint` string,
    `effective_parameters_json` string,
    `design_point` bigint,
    `replicate` bigint,
    `point_seed` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `status_partition` string,
    `shard_id_partition` string,
    `point_index_partition` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=effective_parameters/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.status_partition.type' = 'enum',
    'projection.status_partition.values' = 'success,failure',
    'projection.shard_id_partition.type' = 'integer',
    'projection.shard_id_partition.range' = '0,999',
    'projection.point_index_partition.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=effective_parameters/run_date=${run_date}/run_id_partition=${run_id_partition}/status_partition=${status_partition}/shard_id_partition=${shard_id_partition}/point_index_partition=${point_index_partition}/',
    'classification' = 'parquet'
);

-- 04_sweep_shard_metrics.sql
-- sweep_shard_metrics: the shard_metrics dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
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
    `riders_abandoned_stochastic` bigint,
    `design_point` bigint,
    `replicate` bigint,
    `point_seed` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id` string,
    `status` string,
    `shard_id` string,
    `point_index` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=shard_metrics/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id.type' = 'injected',
    'projection.status.type' = 'enum',
    'projection.status.values' = 'success,failure',
    'projection.shard_id.type' = 'integer',
    'projection.shard_id.range' = '0,999',
    'projection.point_index.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=shard_metrics/run_date=${run_date}/run_id=${run_id}/status=${status}/shard_id=${shard_id}/point_index=${point_index}/',
    'classification' = 'parquet'
);

-- 05_sweep_trip_data.sql
-- sweep_trip_data: the trip_data dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
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
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=trip_data/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id.type' = 'injected',
    'projection.status.type' = 'enum',
    'projection.status.values' = 'success,failure',
    'projection.shard_id.type' = 'integer',
    'projection.shard_id.range' = '0,999',
    'projection.point_index.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=trip_data/run_date=${run_date}/run_id=${run_id}/status=${status}/shard_id=${shard_id}/point_index=${point_index}/',
    'classification' = 'parquet'
);

-- 06_sweep_snapshot_counts.sql
-- sweep_snapshot_counts: the snapshot_counts dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_snapshot_counts (
    `timestamp_ms` bigint,
    `riders_browsing` bigint,
    `riders_waiting` bigint,
    `riders_in_transit` bigint,
    `riders_completed` bigint,
    `riders_cancelled` bigint,
    `drivers_idle` bigint,
    `drivers_evaluating` bigint,
    `drivers_en_route` bigint,
    `drivers_on_trip` bigint,
    `drivers_off_duty` bigint,
    `trips_en_route` bigint,
    `trips_on_trip` bigint,
    `trips_completed` bigint,
    `trips_cancelled` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id` string,
    `status` string,
    `shard_id` string,
    `point_index` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=snapshot_counts/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id.type' = 'injected',
    'projection.status.type' = 'enum',
    'projection.status.values' = 'success,failure',
    'projection.shard_id.type' = 'integer',
    'projection.shard_id.range' = '0,999',
    'projection.point_index.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=snapshot_counts/run_date=${run_date}/run_id=${run_id}/status=${status}/shard_id=${shard_id}/point_index=${point_index}/',
    'classification' = 'parquet'
);

-- 07_sweep_run_points.sql
-- sweep_run_points: the run_points dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_points (
    `run_id` string,
    `shard_id` bigint,
    `point_index` bigint,
    `design_point` bigint,
    `replicate` bigint,
    `seed` bigint,
    `status` string,
    `parameter_fingerprint` string,
    `selected_dimensions` string,
    `base_fare` double,
    `base_speed_kmh` double,
    `batch_interval_secs` bigint,
    `batch_matching_enabled` boolean,
    `commission_rate` double,
    `dynamic_congestion_enabled` boolean,
    `epoch_ms` bigint,
    `eta_weight` double,
    `match_radius` bigint,
    `matching_algorithm_type` string,
    `num_drivers` bigint,
    `num_riders` bigint,
    `per_km_rate` double,
    `rng_layout` string,
    `simulation_duration_hours` bigint,
    `surge_enabled` boolean,
    `surge_max_multiplier` double,
    `surge_radius_k` bigint,
    `traffic_profile` string,
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
    `riders_abandoned_stochastic` bigint,
    `sweeplib_version` string,
    `kernel_hash` string,
    `artifact_sha256` string
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `generation` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=run_points/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.generation.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=run_points/run_date=${run_date}/run_id_partition=${run_id_partition}/generation=${generation}/',
    'classification' = 'parquet'
);

-- 08_sweep_run_trips.sql
-- sweep_run_trips: the run_trips dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_trips (
    `run_id` string,
    `shard_id` bigint,
    `point_index` bigint,
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
    `run_id_partition` string,
    `generation` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=run_trips/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.generation.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=run_trips/run_date=${run_date}/run_id_partition=${run_id_partition}/generation=${generation}/',
    'classification' = 'parquet'
);

-- 09_sweep_run_snapshots.sql
-- sweep_run_snapshots: the run_snapshots dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_snapshots (
    `run_id` string,
    `shard_id` bigint,
    `point_index` bigint,
    `timestamp_ms` bigint,
    `riders_browsing` bigint,
    `riders_waiting` bigint,
    `riders_in_transit` bigint,
    `riders_completed` bigint,
    `riders_cancelled` bigint,
    `drivers_idle` bigint,
    `drivers_evaluating` bigint,
    `drivers_en_route` bigint,
    `drivers_on_trip` bigint,
    `drivers_off_duty` bigint,
    `trips_en_route` bigint,
    `trips_on_trip` bigint,
    `trips_completed` bigint,
    `trips_cancelled` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string,
    `generation` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=run_snapshots/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'projection.generation.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=run_snapshots/run_date=${run_date}/run_id_partition=${run_id_partition}/generation=${generation}/',
    'classification' = 'parquet'
);

-- 10_sweep_run_consolidation.sql
-- sweep_run_consolidation: the run_consolidation dataset (DESIGN §3.4), partition projection (ADR 0006).
-- Queries must filter the run id column literally; per-point tables also the point index, run-level tables the generation.
CREATE EXTERNAL TABLE IF NOT EXISTS ride_sim_analytics.sweep_run_consolidation (
    `run_id` string,
    `generation` bigint,
    `partitions` string,
    `consolidated_at` string,
    `engine` string,
    `dimensions` string,
    `shard_ids` string,
    `shards` bigint,
    `points` bigint,
    `trips` bigint,
    `snapshots` bigint
)
PARTITIONED BY (
    `run_date` string,
    `run_id_partition` string
)
STORED AS PARQUET
LOCATION 's3://results/serverless-sweeps/outcomes/dataset=run_consolidation/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.run_date.type' = 'date',
    'projection.run_date.format' = 'yyyy-MM-dd',
    'projection.run_date.range' = '2026-01-01,NOW',
    'projection.run_date.interval' = '1',
    'projection.run_date.interval.unit' = 'DAYS',
    'projection.run_id_partition.type' = 'injected',
    'storage.location.template' = 's3://results/serverless-sweeps/outcomes/dataset=run_consolidation/run_date=${run_date}/run_id_partition=${run_id_partition}/',
    'classification' = 'parquet'
);

