-- One metric against the values of one swept dimension, over the committed points.
-- Parameters: :run_id, :dimension (a dimension name, e.g. 'num_drivers'),
-- :metric (a shard_metrics column, e.g. 'conversion_rate'), :point_indexes (filled in
-- by sweeplib).
WITH points AS (
    SELECT
        json_extract_scalar(
            p.effective_parameters_json, concat('$.selected_dimensions.', :dimension)
        ) AS dimension_value,
        CASE :metric
            WHEN 'total_riders' THEN CAST(m.total_riders AS double)
            WHEN 'completed_riders' THEN CAST(m.completed_riders AS double)
            WHEN 'abandoned_quote_riders' THEN CAST(m.abandoned_quote_riders AS double)
            WHEN 'cancelled_riders' THEN CAST(m.cancelled_riders AS double)
            WHEN 'conversion_rate' THEN m.conversion_rate
            WHEN 'platform_revenue' THEN m.platform_revenue
            WHEN 'driver_payouts' THEN m.driver_payouts
            WHEN 'total_fares_collected' THEN m.total_fares_collected
            WHEN 'avg_time_to_match_ms' THEN m.avg_time_to_match_ms
            WHEN 'median_time_to_match_ms' THEN m.median_time_to_match_ms
            WHEN 'p90_time_to_match_ms' THEN m.p90_time_to_match_ms
            WHEN 'avg_time_to_pickup_ms' THEN m.avg_time_to_pickup_ms
            WHEN 'median_time_to_pickup_ms' THEN m.median_time_to_pickup_ms
            WHEN 'p90_time_to_pickup_ms' THEN m.p90_time_to_pickup_ms
            WHEN 'completed_trips' THEN CAST(m.completed_trips AS double)
            WHEN 'riders_abandoned_price' THEN CAST(m.riders_abandoned_price AS double)
            WHEN 'riders_abandoned_eta' THEN CAST(m.riders_abandoned_eta AS double)
            WHEN 'riders_abandoned_stochastic' THEN CAST(m.riders_abandoned_stochastic AS double)
        END AS value
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
)
SELECT
    dimension_value,
    count(*) AS points,
    avg(value) AS mean,
    min(value) AS min,
    max(value) AS max,
    stddev_samp(value) AS stddev
FROM points
GROUP BY dimension_value
ORDER BY try_cast(dimension_value AS double), dimension_value
