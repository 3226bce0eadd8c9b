-- compare_runs over the run-level tables (ADR 0016), when both runs' tables are current.
-- Parameters: :run_a, :run_b, :generations_a, :generations_b (filled in by sweeplib).
WITH points AS (
    SELECT
        run_id,
        selected_dimensions,
        conversion_rate,
        platform_revenue,
        driver_payouts,
        avg_time_to_match_ms,
        avg_time_to_pickup_ms,
        CAST(completed_trips AS double) AS completed_trips
    FROM ride_sim_analytics.sweep_run_points
    WHERE run_id_partition = :run_a AND generation IN :generations_a
    UNION ALL
    SELECT
        run_id,
        selected_dimensions,
        conversion_rate,
        platform_revenue,
        driver_payouts,
        avg_time_to_match_ms,
        avg_time_to_pickup_ms,
        CAST(completed_trips AS double) AS completed_trips
    FROM ride_sim_analytics.sweep_run_points
    WHERE run_id_partition = :run_b AND generation IN :generations_b
      AND :run_b <> :run_a  -- a run compared with itself is read once
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
