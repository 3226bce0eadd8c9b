-- chunkable: one row per point
-- point_metrics over the run-level tables (ADR 0016): the same columns as the per-point
-- query, read from the run's current run_points generation (one scan).
-- Parameters: :run_id, :generations (filled in by sweeplib from run_consolidation).
SELECT
    CAST(shard_id AS bigint) AS shard_id,
    CAST(point_index AS bigint) AS point_index,
    selected_dimensions,
    total_riders,
    completed_trips,
    round(conversion_rate, 3) AS conversion_rate,
    round(platform_revenue, 2) AS platform_revenue,
    round(driver_payouts, 2) AS driver_payouts,
    round(avg_time_to_match_ms / 1000.0, 1) AS avg_match_s,
    round(avg_time_to_pickup_ms / 1000.0, 1) AS avg_pickup_s
FROM ride_sim_analytics.sweep_run_points
WHERE run_id_partition = :run_id AND generation IN :generations
ORDER BY CAST(point_index AS bigint)
