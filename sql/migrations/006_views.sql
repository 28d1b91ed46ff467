-- Views for `psql`: how is run 7 doing, what are its curves, which checkpoint is its best.

-- One row per run. progress = completed / total shards; throughput = samples reported in the
-- last minute / 60; active workers = distinct holders of an unexpired lease on the run's shards.
CREATE VIEW run_summary AS
SELECT r.id AS run,
       r.name,
       r.state,
       r.priority,
       s.completed AS shards_completed,
       s.total AS shards_total,
       round(100.0 * s.completed / nullif(s.total, 0), 1) AS progress_pct,
       s.failed AS shards_failed,
       (SELECT m.value FROM metrics m
         WHERE m.run_id = r.id AND m.name = 'train_loss'
         ORDER BY m.step DESC, m.time DESC LIMIT 1) AS train_loss,
       (SELECT max(m.value) FROM metrics m
         WHERE m.run_id = r.id AND m.name = 'val_accuracy') AS best_val_accuracy,
       (SELECT round((coalesce(sum(m.value), 0) / 60.0)::numeric, 1) FROM metrics m
         WHERE m.run_id = r.id AND m.name = 'samples'
           AND m.time > now() - interval '1 minute') AS samples_per_s,
       s.active_workers,
       r.created_at,
       r.started_at,
       r.finished_at,
       r.error
  FROM runs r
  CROSS JOIN LATERAL (
        SELECT count(*) AS total,
               count(*) FILTER (WHERE sh.state = 'completed') AS completed,
               count(*) FILTER (WHERE sh.state = 'failed') AS failed,
               count(DISTINCT sh.lease_owner)
                   FILTER (WHERE sh.state = 'running' AND sh.lease_expires_at > now()) AS active_workers
          FROM shards sh
         WHERE sh.run_id = r.id) s;
COMMENT ON VIEW run_summary IS 'One row per run: state, shard progress, latest train loss, best validation accuracy, samples/s over the last minute, active workers.';

-- Metrics with the run's and worker's names, for plotting and ad-hoc queries.
CREATE VIEW run_metrics AS
SELECT m.run_id AS run,
       r.name AS run_name,
       m.step,
       m.time,
       m.name,
       m.value,
       m.worker_id AS worker,
       w.name AS worker_name
  FROM metrics m
  JOIN runs r ON r.id = m.run_id
  LEFT JOIN workers w ON w.id = m.worker_id;
COMMENT ON VIEW run_metrics IS 'Every metric row with its run and worker names.';

-- The best checkpoint of each run: highest val_accuracy in its metrics snapshot, newest on ties
-- (a run without validation yet gets its newest checkpoint).
CREATE VIEW best_checkpoints AS
SELECT DISTINCT ON (c.run_id)
       c.run_id AS run,
       r.name AS run_name,
       c.id AS checkpoint,
       c.step,
       c.kind,
       (c.metrics ->> 'val_accuracy')::double precision AS val_accuracy,
       c.size,
       c.sha256,
       c.created_at
  FROM checkpoints c
  JOIN runs r ON r.id = c.run_id
 ORDER BY c.run_id, (c.metrics ->> 'val_accuracy')::double precision DESC NULLS LAST, c.step DESC, c.id DESC;
COMMENT ON VIEW best_checkpoints IS 'One row per run: its checkpoint with the highest val_accuracy.';
