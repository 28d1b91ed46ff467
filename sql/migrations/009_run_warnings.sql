-- Convergence guards: a run that trains without learning says so instead of stalling silently.
-- The coordinator sets runs.warning (and records a run_events row with the state unchanged) when
-- its greedy readings of the held-out lines are all blank for several validations in a row, or
-- when shards fail on a gradient that is not finite; a later validation that reads text clears it.

ALTER TABLE runs ADD COLUMN warning text;
COMMENT ON COLUMN runs.warning IS 'Why the run may not be learning (all-blank readings, NaN gradients); NULL when fine.';

-- run_summary gains the warning as its last column (CREATE OR REPLACE keeps the others as they are).
CREATE OR REPLACE VIEW run_summary AS
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
       r.error,
       r.warning
  FROM runs r
  CROSS JOIN LATERAL (
        SELECT count(*) AS total,
               count(*) FILTER (WHERE sh.state = 'completed') AS completed,
               count(*) FILTER (WHERE sh.state = 'failed') AS failed,
               count(DISTINCT sh.lease_owner)
                   FILTER (WHERE sh.state = 'running' AND sh.lease_expires_at > now()) AS active_workers
          FROM shards sh
         WHERE sh.run_id = r.id) s;
COMMENT ON VIEW run_summary IS 'One row per run: state, shard progress, latest train loss, best validation accuracy, samples/s over the last minute, active workers, error, warning.';
