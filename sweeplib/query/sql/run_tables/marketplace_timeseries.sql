-- marketplace_timeseries over the run-level tables (ADR 0016).
-- Counts are averaged as doubles (Athena's avg of a bigint is a double anyway): DuckDB's
-- average of integers accumulates in 128 bits, ~25% slower over 2.4 million rows.
-- Parameters: :run_id, :bucket_seconds, :generations (filled in by sweeplib).
WITH per_point AS (
    SELECT
        s.shard_id,
        s.point_index,
        CAST(floor(CAST(s.timestamp_ms AS double) / (1000 * :bucket_seconds)) AS bigint) AS bucket,
        avg(CAST(s.riders_browsing AS double)) AS riders_browsing,
        avg(CAST(s.riders_waiting AS double)) AS riders_waiting,
        avg(CAST(s.riders_in_transit AS double)) AS riders_in_transit,
        avg(CAST(s.riders_completed AS double)) AS riders_completed,
        avg(CAST(s.riders_cancelled AS double)) AS riders_cancelled,
        avg(CAST(s.drivers_idle AS double)) AS drivers_idle,
        avg(CAST(s.drivers_evaluating AS double)) AS drivers_evaluating,
        avg(CAST(s.drivers_en_route AS double)) AS drivers_en_route,
        avg(CAST(s.drivers_on_trip AS double)) AS drivers_on_trip,
        avg(CAST(s.drivers_off_duty AS double)) AS drivers_off_duty,
        avg(CAST(s.trips_en_route AS double)) AS trips_en_route,
        avg(CAST(s.trips_on_trip AS double)) AS trips_on_trip,
        avg(CAST(s.trips_completed AS double)) AS trips_completed,
        avg(CAST(s.trips_cancelled AS double)) AS trips_cancelled
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
