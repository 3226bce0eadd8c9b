-- Distributions of riders' waits over the trips of a run's committed points (trip_data):
-- time to match = matched_at - requested_at (every trip), time to pickup = pickup_at -
-- matched_at (trips that started). Counts per bucket of :bucket_seconds (e.g. 30), with
-- each bucket's share of its wait's trips. Chunks of points merge by adding `trips`.
-- Seconds are doubles (Trino's decimal division would round to the result's scale and
-- could move a wait into the next bucket). Parameters: :run_id, :bucket_seconds,
-- :point_indexes (filled in by sweeplib).
WITH committed AS (
    SELECT run_date, shard_id_partition AS shard_id
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id AND status_partition = 'success'
),
trips AS (
    SELECT t.requested_at, t.matched_at, t.pickup_at
    FROM ride_sim_analytics.sweep_trip_data t
    JOIN committed c ON c.run_date = t.run_date AND c.shard_id = t.shard_id
    WHERE t.run_id = :run_id AND t.point_index IN :point_indexes
),
waits AS (
    SELECT 'time_to_match' AS wait, CAST(matched_at - requested_at AS double) / 1000 AS seconds
    FROM trips
    WHERE matched_at IS NOT NULL AND requested_at IS NOT NULL
    UNION ALL
    SELECT 'time_to_pickup' AS wait, CAST(pickup_at - matched_at AS double) / 1000 AS seconds
    FROM trips
    WHERE pickup_at IS NOT NULL AND matched_at IS NOT NULL
),
buckets AS (
    SELECT wait, CAST(floor(seconds / :bucket_seconds) AS bigint) AS bucket, count(*) AS trips
    FROM waits
    GROUP BY wait, CAST(floor(seconds / :bucket_seconds) AS bigint)
)
SELECT
    wait,
    bucket * :bucket_seconds AS bucket_start_s,
    (bucket + 1) * :bucket_seconds AS bucket_end_s,
    trips,
    CAST(trips AS double) / sum(trips) OVER (PARTITION BY wait) AS share
FROM buckets
ORDER BY wait, bucket
