-- chunkable: one row per point
-- point_trips_snapshots over the run-level tables (ADR 0016).
-- Parameters: :run_id, :generations (filled in by sweeplib).
WITH trips AS (
    SELECT
        shard_id,
        point_index,
        count(*) AS trips,
        count_if(state = 2) AS trips_completed,
        count_if(state = 3) AS trips_cancelled,
        count_if(state IN (0, 1)) AS trips_open,
        avg(pickup_distance_km_at_accept) AS avg_pickup_km,
        avg(CASE WHEN state = 2 THEN (dropoff_at - pickup_at) / 1000.0 END) AS avg_ride_s
    FROM ride_sim_analytics.sweep_run_trips
    WHERE run_id_partition = :run_id AND generation IN :generations
    GROUP BY shard_id, point_index
),
snapshots AS (
    SELECT
        shard_id,
        point_index,
        count(*) AS snapshots,
        max(riders_waiting) AS peak_riders_waiting,
        avg(drivers_idle) AS avg_drivers_idle,
        max(drivers_on_trip) AS peak_drivers_on_trip,
        max(timestamp_ms) / 1000.0 AS last_snapshot_s
    FROM ride_sim_analytics.sweep_run_snapshots
    WHERE run_id_partition = :run_id AND generation IN :generations
    GROUP BY shard_id, point_index
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
LEFT JOIN trips t ON t.shard_id = s.shard_id AND t.point_index = s.point_index
ORDER BY point_index
