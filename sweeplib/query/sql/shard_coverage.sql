-- One row per planned shard: its final state (success is final), attempts, points.
-- Planned shards come from run_context (shard_count). Parameters: :run_id.
WITH context AS (
    SELECT run_date, max(shard_count) AS shard_count
    FROM ride_sim_analytics.sweep_run_context
    WHERE run_id_partition = :run_id
    GROUP BY run_date
),
planned AS (
    SELECT c.run_date, s.shard_id
    FROM context c
    CROSS JOIN UNNEST(sequence(0, c.shard_count - 1)) AS s (shard_id)
),
outcomes AS (
    SELECT
        run_date,
        shard_id,
        count(*) AS attempts,
        max(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS succeeded,
        max(CASE WHEN status = 'success' THEN points_processed END) AS points,
        max(CASE WHEN status = 'failure' THEN error_code END) AS error_code,
        max(start_index) AS start_index,
        max(end_index_exclusive) AS end_index_exclusive
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id
    GROUP BY run_date, shard_id
)
SELECT
    p.shard_id,
    CASE
        WHEN o.succeeded = 1 THEN 'succeeded'
        WHEN o.succeeded = 0 THEN 'failed'
        ELSE 'missing'
    END AS state,
    coalesce(o.attempts, 0) AS outcome_records,
    o.start_index,
    o.end_index_exclusive,
    o.points,
    CASE WHEN o.succeeded = 1 THEN NULL ELSE o.error_code END AS error_code
FROM planned p
LEFT JOIN outcomes o ON o.run_date = p.run_date AND o.shard_id = p.shard_id
ORDER BY p.shard_id
