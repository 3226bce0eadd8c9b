-- The average marketplace over simulated time, across the committed points of a run:
-- each point's snapshots are averaged per time bucket, then the points are averaged
-- (every point weighs the same). `points` counts the points with a snapshot in the
-- bucket (runs end at different times; snapshot_counts keeps a point's last 10,000).
-- Chunks of points merge exactly: weight each bucket's averages by its `points`.
-- Counts are averaged as doubles (what Athena's avg of a bigint returns anyway).
-- Bucketing divides doubles: Trino's decimal division rounds to the result's scale.
-- Parameters: :run_id, :bucket_seconds (bucket width in simulated seconds, e.g. 60),
-- :point_indexes (filled in by sweeplib from the run's committed shards).
WITH committed AS (
    SELECT run_date, shard_id_partition AS shard_id
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id AND status_partition = 'success'
),
per_point AS (
    SELECT
        s.run_date,
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
    FROM ride_sim_analytics.sweep_snapshot_counts s
    JOIN committed c ON c.run_date = s.run_date AND c.shard_id = s.shard_id
    WHERE s.run_id = :run_id AND s.point_index IN :point_indexes
    GROUP BY
        s.run_date,
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
