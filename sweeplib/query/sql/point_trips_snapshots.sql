-- chunkable: one row per point
-- Per point of the committed shards: trips by final state and pickup distance (trip_data)
-- joined with the marketplace peaks and means over time (snapshot_counts).
-- Parameters: :run_id, :point_indexes (filled in by sweeplib).
WITH committed AS (
    SELECT run_date, shard_id_partition AS shard_id
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id AND status_partition = 'success'
),
trips AS (
    SELECT
        t.run_date,
        t.shard_id,
        t.point_index,
        count(*) AS trips,
        count_if(t.state = 2) AS trips_completed,
        count_if(t.state = 3) AS trips_cancelled,
        count_if(t.state IN (0, 1)) AS trips_open,
        avg(t.pickup_distance_km_at_accept) AS avg_pickup_km,
        avg(CASE WHEN t.state = 2 THEN (t.dropoff_at - t.pickup_at) / 1000.0 END)
            AS avg_ride_s
    FROM ride_sim_analytics.sweep_trip_data t
    JOIN committed c ON c.run_date = t.run_date AND c.shard_id = t.shard_id
    WHERE t.run_id = :run_id AND t.point_index IN :point_indexes
    GROUP BY t.run_date, t.shard_id, t.point_index
),
snapshots AS (
    SELECT
        s.run_date,
        s.shard_id,
        s.point_index,
        count(*) AS snapshots,
        max(s.riders_waiting) AS peak_riders_waiting,
        avg(s.drivers_idle) AS avg_drivers_idle,
        max(s.drivers_on_trip) AS peak_drivers_on_trip,
        max(s.timestamp_ms) / 1000.0 AS last_snapshot_s
    FROM ride_sim_analytics.sweep_snapshot_counts s
    JOIN committed c ON c.run_date = s.run_date AND c.shard_id = s.shard_id
    WHERE s.run_id = :run_id AND s.point_index IN :point_indexes
    GROUP BY s.run_date, s.shard_id, s.point_index
)
SELECT
    CAST(s.shard_id AS bigint) AS shard_id,
    CAST(s.point_index AS bigint) AS point_index,
    coalesce(t.trips, 0) AS trips,
    coalesce(t.trips_completed, 0) AS trips_completed,
    coalesce(t.trips_cancelled, 0) AS trips_cancelled,
    coalesce(t.trips_open, 0) AS trips_open,
    round(t.avg_pickup_km, 3) AS avg_pickup_km,
    round(t.avg_ride_s, 1) AS avg_ride_s,
    s.snapshots,
    s.peak_riders_waiting,
    round(s.avg_drivers_idle, 1) AS avg_drivers_idle,
    s.peak_drivers_on_trip,
    s.last_snapshot_s
FROM snapshots s
LEFT JOIN trips t
    ON t.run_date = s.run_date AND t.shard_id = s.shard_id AND t.point_index = s.point_index
ORDER BY point_index
