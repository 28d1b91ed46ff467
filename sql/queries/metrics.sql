-- Metric rows (MetricsStore): (run, step, time, worker or NULL, name, value), written in batches
-- and read back as series; the cookbook and the views read the same table.

-- name: insertMetrics
-- A batch in one statement: columns as arrays, zipped by unnest (one round trip per batch,
-- whatever its size). time is the server's clock, so workers' clocks need not agree.
INSERT INTO metrics (run_id, step, worker_id, name, value)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::float8[]);

-- name: selectLastMetricStep
-- The highest step of a run's metrics. Read once when a coordinator takes a run over, so a scan
-- of the run's index range is cheap enough; no index on (run_id, step) for it.
SELECT max(step) FROM metrics WHERE run_id = $1;

-- name: selectMetricSeries
-- A run's metrics by step (all names when $2 is NULL, or one), in the order a plot wants them.
SELECT step, time::text, name, value, worker_id
  FROM metrics
 WHERE run_id = $1 AND ($2::text IS NULL OR name = $2)
 ORDER BY name, step, time;

-- name: selectLatestMetrics
-- The newest value of each metric of a run, for crnnctl show. DISTINCT ON walks
-- metrics_by_run_name_step backwards per name: one row per metric.
SELECT DISTINCT ON (name) name, step, value, time::text
  FROM metrics WHERE run_id = $1
 ORDER BY name, step DESC, time DESC;
