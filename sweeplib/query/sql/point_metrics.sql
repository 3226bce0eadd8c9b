-- chunkable: one row per point
-- Metrics per point of the committed shards (a success record exists), with the
-- point's selected dimension values.
-- Parameters: :run_id, :point_indexes (filled in by sweeplib from the run's committed
-- shards; every table names its run and points literally, as projected tables need).
SELECT
    CAST(m.shard_id AS bigint) AS shard_id,
    CAST(m.point_index AS bigint) AS point_index,
    json_format(json_extract(p.effective_parameters_json, '$.selected_dimensions'))
        AS selected_dimensions,
    m.total_riders,
    m.completed_trips,
    round(m.conversion_rate, 3) AS conversion_rate,
    round(m.platform_revenue, 2) AS platform_revenue,
    round(m.driver_payouts, 2) AS driver_payouts,
    round(m.avg_time_to_match_ms / 1000.0, 1) AS avg_match_s,
    round(m.avg_time_to_pickup_ms / 1000.0, 1) AS avg_pickup_s
FROM ride_sim_analytics.sweep_shard_metrics m
JOIN ride_sim_analytics.sweep_effective_parameters p
    ON p.run_id_partition = m.run_id
    AND p.run_date = m.run_date
    AND p.shard_id_partition = m.shard_id
    AND p.point_index_partition = m.point_index
JOIN ride_sim_analytics.sweep_shard_outcomes o
    ON o.run_id_partition = m.run_id
    AND o.run_date = m.run_date
    AND o.shard_id_partition = m.shard_id
    AND o.status_partition = 'success'
WHERE m.run_id = :run_id
  AND p.run_id_partition = :run_id
  AND o.run_id_partition = :run_id
  AND m.point_index IN :point_indexes
  AND p.point_index_partition IN :point_indexes
ORDER BY CAST(m.point_index AS bigint)
