-- Failed shards by error code (shards that later succeeded are not failures).
-- Parameters: :run_id. Run-level: no point filter needed on projected tables.
SELECT
    f.error_code,
    count(*) AS failed_shards,
    array_join(array_agg(CAST(f.shard_id AS varchar) ORDER BY f.shard_id), ',') AS shard_ids,
    min(f.error_message) AS example_message
FROM ride_sim_analytics.sweep_shard_outcomes f
WHERE f.run_id_partition = :run_id
  AND f.status = 'failure'
  AND NOT EXISTS (
      SELECT 1
      FROM ride_sim_analytics.sweep_shard_outcomes s
      WHERE s.run_id_partition = :run_id
        AND s.run_id_partition = f.run_id_partition
        AND s.run_date = f.run_date
        AND s.shard_id = f.shard_id
        AND s.status = 'success'
  )
GROUP BY f.error_code
ORDER BY failed_shards DESC, f.error_code
