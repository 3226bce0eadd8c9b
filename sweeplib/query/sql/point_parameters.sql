-- chunkable: one row per point
-- Outcome ↔ effective parameters ↔ run context: every point of the committed shards with
-- its parameter fingerprint, selected values and the run's request fingerprint.
-- Parameters: :run_id, :point_indexes (filled in by sweeplib).
SELECT
    CAST(p.shard_id_partition AS bigint) AS shard_id,
    CAST(p.point_index_partition AS bigint) AS point_index,
    p.parameter_fingerprint,
    json_format(json_extract(p.effective_parameters_json, '$.selected_dimensions'))
        AS selected_dimensions,
    CAST(json_extract_scalar(p.effective_parameters_json, '$.resolved_scenario_parameters.seed')
        AS varchar) AS seed,
    o.event_time AS committed_at,
    c.request_fingerprint,
    c.config_fingerprint,
    c.total_points
FROM ride_sim_analytics.sweep_effective_parameters p
JOIN ride_sim_analytics.sweep_shard_outcomes o
    ON o.run_id_partition = p.run_id_partition
    AND o.run_date = p.run_date
    AND o.shard_id_partition = p.shard_id_partition
    AND o.status_partition = 'success'
JOIN ride_sim_analytics.sweep_run_context c
    ON c.run_id_partition = p.run_id_partition
    AND c.run_date = p.run_date
WHERE p.run_id_partition = :run_id
  AND o.run_id_partition = :run_id
  AND c.run_id_partition = :run_id
  AND p.point_index_partition IN :point_indexes
ORDER BY point_index
