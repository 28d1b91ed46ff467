-- The shard queue: claim with a lease, renew, complete, give back, fail, and the rescuer that
-- takes expired leases back (ShardQueue, WorkerRegistry's heartbeat). These statements are the
-- lease rules, the only place they are written: each move's WHERE says who may make it, and a
-- statement that needs the caller's lease matches nothing when the caller lost it
-- (selectShardLease then reads the row back to tell the caller why).

-- name: insertShards
-- All shards of a new run in one statement: columns travel as arrays and unnest zips them into
-- rows, so 40,000 shards are one round trip instead of 40,000.
INSERT INTO shards (run_id, epoch, index, seed, slice_start, slice_count, sample_count, max_attempts)
SELECT $1, epoch, index, seed, slice_start, slice_count, sample_count, $2
  FROM unnest($3::int[], $4::int[], $5::bigint[], $6::int[], $7::int[], $8::int[])
    AS t(epoch, index, seed, slice_start, slice_count, sample_count);

-- name: claimShard
-- The claim: $1 worker, $2 lease seconds. The run is chosen first (highest priority, then
-- oldest, among running runs that still have available shards), then its first available shard
-- in (epoch, index) order, so queued, paused and finished runs hand out nothing. An experiment's
-- running trials share the workers instead: they are served together, in the place of the
-- experiment's first trial, the one with the fewest shards handed out first (ASHA compares trials
-- at equal budgets; served oldest first, the first trial would run to its end alone). The CTE is an
-- optimisation fence: LIMIT 1 with SKIP LOCKED locks exactly one row, skipping rows other
-- claimers hold instead of queueing behind them, and the partial index shards_claimable makes
-- both the EXISTS and the scan start at the remaining work. The most frequent statement, so
-- ShardQueue runs it prepared.
WITH next AS (
    SELECT s.id
      FROM shards s
     WHERE s.state = 'available'
       AND s.run_id = (
             SELECT r.id FROM runs r
               LEFT JOIN experiment_trial_runs t ON t.run_id = r.id
              WHERE r.state = 'running'
                AND EXISTS (SELECT 1 FROM shards a WHERE a.run_id = r.id AND a.state = 'available')
              ORDER BY r.priority DESC,
                       coalesce((SELECT min(o.run_id) FROM experiment_trial_runs o WHERE o.experiment_id = t.experiment_id), r.id),
                       CASE WHEN t.run_id IS NULL THEN 0
                            ELSE (SELECT count(*) FROM shards h WHERE h.run_id = r.id AND h.state <> 'available') END,
                       r.id
              LIMIT 1)
     ORDER BY s.epoch, s.index
     LIMIT 1
       FOR UPDATE SKIP LOCKED
)
UPDATE shards s
   SET state = 'running', lease_owner = $1, claimed_at = now(),
       lease_expires_at = now() + make_interval(secs => $2)
  FROM next, runs r
 WHERE s.id = next.id AND r.id = s.run_id
RETURNING s.id, s.run_id, s.epoch, s.index, s.seed, s.slice_start, s.slice_count, s.sample_count,
          s.attempt, s.lease_expires_at::text, r.ps_address;

-- name: renewLease
-- Extends one lease ($3 seconds from now) while worker $2 holds shard $1. Renewing a lease past
-- its expiry is allowed while the rescuer has not taken the shard back: no work was lost.
UPDATE shards SET lease_expires_at = now() + make_interval(secs => $3)
 WHERE id = $1 AND state = 'running' AND lease_owner = $2;

-- name: renewWorkerLeases
-- The heartbeat's renewal: every running lease of worker $1, $2 seconds from now, in the same
-- transaction as the heartbeat, so a heartbeat that arrives is a lease that holds. Returns each
-- shard's run state: a worker gives back shards of runs that are no longer running.
UPDATE shards s
   SET lease_expires_at = now() + make_interval(secs => $2)
  FROM runs r
 WHERE s.lease_owner = $1 AND s.state = 'running' AND r.id = s.run_id
RETURNING s.id, s.run_id, r.state::text;

-- name: completeShard
-- Only the lease owner completes ($1 shard, $2 worker). lease_owner is kept: it names the worker
-- whose completion counted, so a second completion by the same worker is told it already did.
-- Runs in one transaction with the shard's metrics (insertMetrics).
UPDATE shards SET state = 'completed', completed_at = now(), lease_expires_at = NULL
 WHERE id = $1 AND state = 'running' AND lease_owner = $2;

-- name: giveBackShard
-- A voluntary return by the owner (worker stopping, run paused): not a failed attempt, so
-- attempt stays. Returns the run, whose claimers notifyShardsAvailable wakes.
UPDATE shards SET state = 'available', lease_owner = NULL, lease_expires_at = NULL
 WHERE id = $1 AND state = 'running' AND lease_owner = $2
RETURNING run_id;

-- name: failShard
-- The owner ($2) reports it could not train shard $1, with reason $3: one attempt spent. The
-- attempts-exhausted rule, attempt + 1 >= max_attempts fails the shard for good, is the same as
-- rescueExpiredLeases's just below: change both together.
UPDATE shards
   SET attempt = attempt + 1,
       state = CASE WHEN attempt + 1 >= max_attempts THEN 'failed' ELSE 'available' END::shard_state,
       lease_owner = NULL, lease_expires_at = NULL, error = $3
 WHERE id = $1 AND state = 'running' AND lease_owner = $2
RETURNING state::text, attempt, run_id;

-- name: rescueExpiredLeases
-- The rescuer: every expired lease costs one attempt, with failShard's attempts-exhausted rule.
-- SKIP LOCKED lets two coordinators rescue at once without waiting on, or double-counting, the
-- same shard. UPDATE has no SKIP LOCKED of its own: the CTE chooses and locks the rows.
WITH expired AS (
    SELECT id FROM shards
     WHERE state = 'running' AND lease_expires_at < now()
       FOR UPDATE SKIP LOCKED
)
UPDATE shards s
   SET attempt = s.attempt + 1,
       state = CASE WHEN s.attempt + 1 >= s.max_attempts THEN 'failed' ELSE 'available' END::shard_state,
       error = 'lease of worker ' || s.lease_owner || ' expired at ' || s.lease_expires_at,
       lease_owner = NULL, lease_expires_at = NULL
  FROM expired
 WHERE s.id = expired.id
RETURNING s.id, s.run_id, s.state::text, s.attempt;

-- name: notifyShardsAvailable
-- Wakes claimers sleeping on LISTEN $1 with the run id as payload. pg_notify rather than NOTIFY,
-- which takes no bind parameters; delivered when the caller's transaction commits.
SELECT pg_notify($1, $2);

-- name: selectShardLease
-- A shard's lease as its row stands, read after a statement that needed the lease matched
-- nothing, to tell the caller why (LeaseState).
SELECT state::text, lease_owner, extract(epoch FROM lease_expires_at)::float8
  FROM shards WHERE id = $1;

-- name: countShardsByState
-- How many shards of run $1 are in each state (states with none are absent).
SELECT state::text, count(*) FROM shards WHERE run_id = $1 GROUP BY state ORDER BY state;

-- name: selectLastShardFailure
-- The reason the most recently failed shard of run $1 gave (the coordinator's reason when it
-- fails the run). Failing sets no completed_at, so the last claim orders failed shards and
-- the id breaks ties.
SELECT error FROM shards WHERE run_id = $1 AND state = 'failed'
 ORDER BY coalesce(completed_at, claimed_at) DESC NULLS LAST, id DESC LIMIT 1;

-- name: countShardsWithError
-- Shards of run $1 whose last failure reason contains $2 (the coordinator's convergence guard
-- counts those that failed on a non-finite gradient).
SELECT count(*) FROM shards WHERE run_id = $1 AND error IS NOT NULL AND strpos(error, $2) > 0;
