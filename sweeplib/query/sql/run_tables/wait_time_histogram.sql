-- wait_time_histogram over the run-level tables (ADR 0016).
-- Parameters: :run_id, :bucket_seconds, :generations (filled in by sweeplib).
WITH trips AS (
    SELECT t.requested_at, t.matched_at, t.pickup_at
    FROM ride_sim_analytics.sweep_run_trips t
    WHERE t.run_id_partition = :run_id AND t.generation IN :generations
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
