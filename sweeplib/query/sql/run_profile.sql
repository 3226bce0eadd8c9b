-- Run profile: shard attempts, successes, failures, points, timing, and what was planned.
-- Parameters: :run_id. Success is final: a shard with both records counts as succeeded.
WITH attempts AS (
    SELECT shard_id, status, points_processed, from_iso8601_timestamp(event_time) AS at
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id
),
per_shard AS (
    SELECT
        shard_id,
        max(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS succeeded,
        max(CASE WHEN status = 'success' THEN points_processed END) AS points
    FROM attempts
    GROUP BY shard_id
),
context AS (
    SELECT max(total_points) AS expected_points, max(shard_count) AS expected_shards
    FROM ride_sim_analytics.sweep_run_context
    WHERE run_id_partition = :run_id
),
summary AS (
    SELECT
        (SELECT count(*) FROM attempts) AS shard_attempts,
        count_if(succeeded = 1) AS successful_shards,
        count_if(succeeded = 0) AS failed_shards,
        coalesce(sum(CASE WHEN succeeded = 1 THEN points END), 0) AS successful_points,
        (SELECT date_diff('millisecond', min(at), max(at)) / 1000.0 FROM attempts)
            AS run_window_seconds
    FROM per_shard
)
SELECT
    s.shard_attempts,
    s.successful_shards,
    s.failed_shards,
    round(CAST(s.failed_shards AS double) / nullif(s.successful_shards + s.failed_shards, 0), 4)
        AS failure_rate,
    s.successful_points,
    s.run_window_seconds,
    round(CAST(s.successful_points AS double) / nullif(s.run_window_seconds, 0), 2)
        AS points_per_second,
    c.expected_shards,
    c.expected_points
FROM summary s
CROSS JOIN context c
