-- One coordinator per run (RunOwnership): a session-level advisory lock held by the
-- coordinator's connection for as long as it trains the run. Keys are two int4s: $1 the lock
-- space ("crnn"), which keeps these locks apart from other users of advisory locks, and $2 the
-- run id. Both travel as bigint and are cast here; pg_locks reports this form with objsubid = 2.

-- name: tryLockRun
-- Takes the run without waiting: false when another session holds it.
SELECT pg_try_advisory_lock($1::int4, $2::int4);

-- name: unlockRun
-- Gives the run up (completed, failed, or no longer served by this coordinator).
SELECT pg_advisory_unlock($1::int4, $2::int4);

-- name: selectRunLockHolder
-- The backend pid holding the run's lock in this database, for messages and tests. Advisory
-- locks are per database, hence the datname match; classid and objid hold the two int4 keys.
SELECT pid FROM pg_locks
 WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND classid = $1::int4::oid AND objid = $2::int4::oid AND objsubid = 2;
