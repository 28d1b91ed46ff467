-- Worker processes (WorkerRegistry): each registers once at start and then beats. The beat's
-- lease renewal is renewWorkerLeases in shards.sql, with the other lease rules.

-- name: registerWorker
-- A new row per process start: a restarted worker registers anew (its old id's leases expire).
INSERT INTO workers (name, host, pid, threads, version) VALUES ($1, $2, $3, $4, $5) RETURNING id;

-- name: heartbeatWorker
-- Worker $1 is alive. No row updated means the worker id is unknown.
UPDATE workers SET last_heartbeat = now() WHERE id = $1;
