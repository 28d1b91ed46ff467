-- Worker processes (WorkerRegistry): each registers once at start and then beats. The beat's
-- lease renewal is renewWorkerLeases in shards.sql, with the other lease rules.

-- name: registerWorker
-- A new row per process start: a restarted worker registers anew (its old id's leases expire).
INSERT INTO workers (name, host, pid, threads, version) VALUES ($1, $2, $3, $4, $5) RETURNING id;

-- name: heartbeatWorker
-- Worker $1 is alive. No row updated means the worker id is unknown.
UPDATE workers SET last_heartbeat = now() WHERE id = $1;

-- name: selectRunWorkers
-- The workers that hold or completed shards of run $1, for the run's page: who, seconds since
-- their last heartbeat, shards running and completed, and the throughput they stored with their
-- latest completion (found through metrics_by_run_name_step).
SELECT w.id, w.name, w.host, w.threads, w.last_heartbeat::text,
       extract(epoch FROM now() - w.last_heartbeat)::float8,
       count(*) FILTER (WHERE s.state = 'running'),
       count(*) FILTER (WHERE s.state = 'completed'),
       (SELECT m.value FROM metrics m
         WHERE m.run_id = $1 AND m.name = 'worker_samples_per_s' AND m.worker_id = w.id
         ORDER BY m.step DESC, m.time DESC LIMIT 1)
  FROM shards s JOIN workers w ON w.id = s.lease_owner
 WHERE s.run_id = $1
 GROUP BY w.id
 ORDER BY w.id;
