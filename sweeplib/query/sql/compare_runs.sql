-- Two runs side by side, per matching parameter point (same selected dimension values;
-- repeated values in a run's dimension lists are replications with different seeds).
-- Parameters: :run_a, :run_b, :point_indexes (both runs' committed points, filled in
-- by sweeplib).
WITH points AS (
    SELECT
        m.run_id,
        json_format(json_extract(p.effective_parameters_json, '$.selected_dimensions'))
            AS selected_dimensions,
        m.conversion_rate,
        m.platform_revenue,
        m.driver_payouts,
        m.avg_time_to_match_ms,
        m.avg_time_to_pickup_ms,
        CAST(m.completed_trips AS double) AS completed_trips
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
    WHERE m.run_id IN (:run_a, :run_b)
      AND p.run_id_partition IN (:run_a, :run_b)
      AND o.run_id_partition IN (:run_a, :run_b)
      AND m.point_index IN :point_indexes
      AND p.point_index_partition IN :point_indexes
),
per_run AS (
    SELECT
        run_id,
        selected_dimensions,
        count(*) AS n,
        avg(conversion_rate) AS conversion_rate,
        stddev_samp(conversion_rate) AS conversion_rate_sd,
        avg(platform_revenue) AS platform_revenue,
        stddev_samp(platform_revenue) AS platform_revenue_sd,
        avg(driver_payouts) AS driver_payouts,
        avg(avg_time_to_match_ms) AS avg_time_to_match_ms,
        avg(avg_time_to_pickup_ms) AS avg_time_to_pickup_ms,
        avg(completed_trips) AS completed_trips
    FROM points
    GROUP BY run_id, selected_dimensions
)
SELECT
    a.selected_dimensions,
    a.n AS n_a,
    b.n AS n_b,
    a.conversion_rate AS conversion_rate_a,
    b.conversion_rate AS conversion_rate_b,
    b.conversion_rate - a.conversion_rate AS conversion_rate_delta,
    a.conversion_rate_sd AS conversion_rate_sd_a,
    b.conversion_rate_sd AS conversion_rate_sd_b,
    a.platform_revenue AS platform_revenue_a,
    b.platform_revenue AS platform_revenue_b,
    b.platform_revenue - a.platform_revenue AS platform_revenue_delta,
    a.platform_revenue_sd AS platform_revenue_sd_a,
    b.platform_revenue_sd AS platform_revenue_sd_b,
    b.driver_payouts - a.driver_payouts AS driver_payouts_delta,
    b.avg_time_to_match_ms - a.avg_time_to_match_ms AS avg_time_to_match_ms_delta,
    b.avg_time_to_pickup_ms - a.avg_time_to_pickup_ms AS avg_time_to_pickup_ms_delta,
    b.completed_trips - a.completed_trips AS completed_trips_delta
FROM per_run a
JOIN per_run b ON b.selected_dimensions = a.selected_dimensions
WHERE a.run_id = :run_a AND b.run_id = :run_b
ORDER BY a.selected_dimensions
