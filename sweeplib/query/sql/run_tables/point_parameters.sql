-- chunkable: one row per point
-- point_parameters over the run-level tables (ADR 0016).
-- Parameters: :run_id, :generations (filled in by sweeplib).
WITH committed AS (
    SELECT run_date, shard_id_partition AS shard_id, max(event_time) AS committed_at
    FROM ride_sim_analytics.sweep_shard_outcomes
    WHERE run_id_partition = :run_id AND status_partition = 'success'
    GROUP BY run_date, shard_id_partition
)
SELECT
    CAST(p.shard_id AS bigint) AS shard_id,
    CAST(p.point_index AS bigint) AS point_index,
    p.parameter_fingerprint,
    p.selected_dimensions,
    CAST(p.seed AS varchar) AS seed,
    o.committed_at,
    c.request_fingerprint,
    c.config_fingerprint,
    c.total_points
FROM ride_sim_analytics.sweep_run_points p
JOIN committed o ON o.run_date = p.run_date AND o.shard_id = CAST(p.shard_id AS varchar)
JOIN ride_sim_analytics.sweep_run_context c
    ON c.run_id_partition = p.run_id_partition AND c.run_date = p.run_date
WHERE p.run_id_partition = :run_id
  AND p.generation IN :generations
  AND c.run_id_partition = :run_id
ORDER BY point_index
