-- Runs and their audit trail (RunStore): submit, every state change (RunLifecycle decides which
-- are legal; each leaves a run_events row), and what crnnctl, coordinators and workers read back.

-- name: insertRun
-- The run row at submit, state queued, with its resolved alphabet. Its shards (insertShards)
-- and its submit event go in the same transaction: a run is never visible without its shards.
INSERT INTO runs (name, priority, config_yaml, config_overrides, hyperparameters, seed, charset_name, charset)
VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6, $7, $8::text[])
RETURNING id;

-- name: insertRunEvent
-- One row of the audit trail: run $1 moved from $2 (NULL at submit) to $3, by $4, because $5.
INSERT INTO run_events (run_id, from_state, to_state, actor, detail)
VALUES ($1, $2::run_state, $3::run_state, $4, $5);

-- name: lockRunState
-- A run's state, locking its row until the transaction ends, so two commands on one run (pause
-- and cancel together) are decided one after the other.
SELECT state::text FROM runs WHERE id = $1 FOR UPDATE;

-- name: updateRunState
-- One UPDATE for every transition; the flags $3 and $4 say whether the move stamps started_at
-- and finished_at. started_at keeps its first value, so a resumed run still shows when it really
-- began; coalesce keeps error and ps_address when a move brings none.
UPDATE runs
   SET state = $2::run_state,
       started_at = CASE WHEN $3 THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN $4 THEN now() ELSE finished_at END,
       error = coalesce($5, error),
       ps_address = coalesce($6, ps_address)
 WHERE id = $1;

-- name: takeNextQueuedRun
-- The highest-priority queued run (oldest first among equals), locked for the coordinator that
-- starts it. SKIP LOCKED lets two coordinators starting together take different runs instead of
-- queueing on one row. An experiment's trial waits until it is released (max_concurrent).
SELECT id FROM runs r WHERE state = 'queued'
   AND NOT EXISTS (SELECT 1 FROM experiment_trial_runs t WHERE t.run_id = r.id AND t.released_at IS NULL)
 ORDER BY priority DESC, id LIMIT 1 FOR UPDATE OF r SKIP LOCKED;

-- name: setRunCharset
-- The alphabet a coordinator resolved for a run queued before alphabets were resolved at submit
-- (migration 007). Only while none is stored: a run keeps its alphabet.
UPDATE runs SET charset = $2::text[] WHERE id = $1 AND charset IS NULL;

-- name: publishPSAddress
-- Where the run's parameter server listens now (a restarted coordinator may listen elsewhere);
-- workers read it with every claim.
UPDATE runs SET ps_address = $2 WHERE id = $1;

-- name: selectRunSummaries
-- Every run, or only run $1. The run_summary view does the aggregation, so psql users and
-- crnnctl see the same numbers.
SELECT run, name, state::text, priority, shards_completed, shards_total, shards_failed, progress_pct,
       train_loss, best_val_accuracy, samples_per_s, active_workers,
       created_at::text, started_at::text, finished_at::text, error, warning
  FROM run_summary
 WHERE $1::bigint IS NULL OR run = $1
 ORDER BY run;

-- name: selectRunDetail
-- What crnnctl show prints beyond the summary. Arrays come back as text and PostgresArray parses
-- them; cardinality() gives the alphabet's size without shipping it.
SELECT config_yaml, config_overrides::text, hyperparameters::text, charset_name,
       cardinality(charset), ps_address
  FROM runs WHERE id = $1;

-- name: selectRunEvents
-- A run's audit trail in order; the id keeps the insertion order of events with equal times
-- (now() is the transaction's start).
SELECT time::text, from_state::text, to_state::text, actor, detail
  FROM run_events WHERE run_id = $1 ORDER BY time, id;

-- name: selectRunConfig
-- The effective config as JSON (RunConfig), what coordinators and workers start from.
SELECT hyperparameters::text FROM runs WHERE id = $1;

-- name: selectRunCharset
-- The run's alphabet as an array literal; NULL for a run queued before alphabets were stored.
SELECT charset::text FROM runs WHERE id = $1;

-- name: selectRunState
-- The run's state now, without locking (lockRunState is for changing it).
SELECT state::text FROM runs WHERE id = $1;

-- name: selectActiveRuns
-- Running and paused runs, in claim order: what a restarted coordinator takes over.
SELECT id, state::text FROM runs WHERE state IN ('running', 'paused') ORDER BY priority DESC, id;

-- name: selectPSAddress
-- Where the run's parameter server listens (NULL before a coordinator took it).
SELECT ps_address FROM runs WHERE id = $1;

-- name: setRunWarning
-- Sets (or with $2 NULL clears) run $1's warning; returns whether it changed, so the caller
-- records an event only for a change.
UPDATE runs SET warning = $2 WHERE id = $1 AND warning IS DISTINCT FROM $2
RETURNING state::text;
