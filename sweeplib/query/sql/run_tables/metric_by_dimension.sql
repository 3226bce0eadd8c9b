-- metric_by_dimension over the run-level tables (ADR 0016): the dimension's typed column.
-- Parameters: :run_id, :dimension, :metric (both checked by sweeplib against the run's
-- dimensions and the metric names), :generations (filled in by sweeplib).
WITH points AS (
    SELECT
        CASE :dimension
            WHEN 'base_fare' THEN CAST(base_fare AS varchar)
            WHEN 'base_speed_kmh' THEN CAST(base_speed_kmh AS varchar)
            WHEN 'batch_interval_secs' THEN CAST(batch_interval_secs AS varchar)
            WHEN 'batch_matching_enabled' THEN CAST(batch_matching_enabled AS varchar)
            WHEN 'commission_rate' THEN CAST(commission_rate AS varchar)
            WHEN 'dynamic_congestion_enabled' THEN CAST(dynamic_congestion_enabled AS varchar)
            WHEN 'epoch_ms' THEN CAST(epoch_ms AS varchar)
            WHEN 'eta_weight' THEN CAST(eta_weight AS varchar)
            WHEN 'match_radius' THEN CAST(match_radius AS varchar)
            WHEN 'matching_algorithm_type' THEN matching_algorithm_type
            WHEN 'num_drivers' THEN CAST(num_drivers AS varchar)
            WHEN 'num_riders' THEN CAST(num_riders AS varchar)
            WHEN 'per_km_rate' THEN CAST(per_km_rate AS varchar)
            WHEN 'simulation_duration_hours' THEN CAST(simulation_duration_hours AS varchar)
            WHEN 'surge_enabled' THEN CAST(surge_enabled AS varchar)
            WHEN 'surge_max_multiplier' THEN CAST(surge_max_multiplier AS varchar)
            WHEN 'surge_radius_k' THEN CAST(surge_radius_k AS varchar)
            WHEN 'traffic_profile' THEN traffic_profile
        END AS dimension_value,
        CASE :metric
            WHEN 'total_riders' THEN CAST(total_riders AS double)
            WHEN 'completed_riders' THEN CAST(completed_riders AS double)
            WHEN 'abandoned_quote_riders' THEN CAST(abandoned_quote_riders AS double)
            WHEN 'cancelled_riders' THEN CAST(cancelled_riders AS double)
            WHEN 'conversion_rate' THEN conversion_rate
            WHEN 'platform_revenue' THEN platform_revenue
            WHEN 'driver_payouts' THEN driver_payouts
            WHEN 'total_fares_collected' THEN total_fares_collected
            WHEN 'avg_time_to_match_ms' THEN avg_time_to_match_ms
            WHEN 'median_time_to_match_ms' THEN median_time_to_match_ms
            WHEN 'p90_time_to_match_ms' THEN p90_time_to_match_ms
            WHEN 'avg_time_to_pickup_ms' THEN avg_time_to_pickup_ms
            WHEN 'median_time_to_pickup_ms' THEN median_time_to_pickup_ms
            WHEN 'p90_time_to_pickup_ms' THEN p90_time_to_pickup_ms
            WHEN 'completed_trips' THEN CAST(completed_trips AS double)
            WHEN 'riders_abandoned_price' THEN CAST(riders_abandoned_price AS double)
            WHEN 'riders_abandoned_eta' THEN CAST(riders_abandoned_eta AS double)
            WHEN 'riders_abandoned_stochastic' THEN CAST(riders_abandoned_stochastic AS double)
        END AS value
    FROM ride_sim_analytics.sweep_run_points
    WHERE run_id_partition = :run_id AND generation IN :generations
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
