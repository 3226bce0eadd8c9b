-- marketplace_timeseries over the run-level tables (ADR 0016).
-- Parameters: :run_id, :bucket_seconds, :generations (filled in by sweeplib).
WITH per_point AS (
    SELECT
        s.shard_id,
        s.point_index,
        CAST(floor(CAST(s.timestamp_ms AS double) / (1000 * :bucket_seconds)) AS bigint) AS bucket,
        avg(s.riders_browsing) AS riders_browsing,
        avg(s.riders_waiting) AS riders_waiting,
        avg(s.riders_in_transit) AS riders_in_transit,
        avg(s.riders_completed) AS riders_completed,
        avg(s.riders_cancelled) AS riders_cancelled,
        avg(s.drivers_idle) AS drivers_idle,
        avg(s.drivers_evaluating) AS drivers_evaluating,
        avg(s.drivers_en_route) AS drivers_en_route,
        avg(s.drivers_on_trip) AS drivers_on_trip,
        avg(s.drivers_off_duty) AS drivers_off_duty,
        avg(s.trips_en_route) AS trips_en_route,
        avg(s.trips_on_trip) AS trips_on_trip,
        avg(s.trips_completed) AS trips_completed,
        avg(s.trips_cancelled) AS trips_cancelled
    FROM ride_sim_analytics.sweep_run_snapshots s
    WHERE s.run_id_partition = :run_id AND s.generation IN :generations
    GROUP BY
        s.shard_id,
        s.point_index,
        CAST(floor(CAST(s.timestamp_ms AS double) / (1000 * :bucket_seconds)) AS bigint)
)
SELECT
    bucket * :bucket_seconds AS time_s,
    count(*) AS points,
    avg(riders_browsing) AS riders_browsing,
    avg(riders_waiting) AS riders_waiting,
    avg(riders_in_transit) AS riders_in_transit,
    avg(riders_completed) AS riders_completed,
    avg(riders_cancelled) AS riders_cancelled,
    avg(drivers_idle) AS drivers_idle,
    avg(drivers_evaluating) AS drivers_evaluating,
    avg(drivers_en_route) AS drivers_en_route,
    avg(drivers_on_trip) AS drivers_on_trip,
    avg(drivers_off_duty) AS drivers_off_duty,
    avg(trips_en_route) AS trips_en_route,
    avg(trips_on_trip) AS trips_on_trip,
    avg(trips_completed) AS trips_completed,
    avg(trips_cancelled) AS trips_cancelled
FROM per_point
GROUP BY bucket
ORDER BY bucket
