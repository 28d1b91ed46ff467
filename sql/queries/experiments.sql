-- Experiments (ExperimentStore): a search's spec and its trial runs at submit, the supervisor's
-- reads and decisions (release, ASHA rung results, stop, finish), and what crnnctl lists.

-- name: insertExperiment
-- The experiment at submit, state running; its trial runs go in the same transaction.
INSERT INTO experiment_specs (name, method, metric, goal, max_concurrent, spec, config_yaml)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
RETURNING id;

-- name: insertTrialRun
-- A trial and its run; released now when $5 (within max_concurrent), else waiting.
INSERT INTO experiment_trial_runs (experiment_id, trial, run_id, parameters, released_at)
VALUES ($1, $2, $3, $4::jsonb, CASE WHEN $5::boolean THEN now() END);

-- name: selectRunningExperiments
-- The experiments a supervisor pass visits.
SELECT id FROM experiment_specs WHERE state = 'running' ORDER BY id;

-- name: lockRunningExperiment
-- Experiment $1's spec, its row locked for one coordinator's pass; SKIP LOCKED gives nothing when
-- another coordinator is deciding it (it is visited again next tick), rather than waiting.
SELECT spec::text FROM experiment_specs WHERE id = $1 AND state = 'running' FOR UPDATE SKIP LOCKED;

-- name: lockExperiment
-- One experiment's state, its row locked until the transaction ends.
SELECT state::text FROM experiment_specs WHERE id = $1 FOR UPDATE;

-- name: selectTrialProgress
-- What the supervisor decides from: every trial's state, best metric and samples trained.
SELECT trial, run, state, best_metric, budget_used, budget_full
  FROM experiment_trials WHERE experiment = $1 ORDER BY trial;

-- name: selectRungResults
-- Every result recorded so far, with its decision: what each rung ranks.
SELECT rung, trial, value, decision FROM experiment_rung_results WHERE experiment_id = $1 ORDER BY rung, trial;

-- name: insertRungResult
-- Trial $2 reached rung $3 after $4 samples with metric $5 (NULL: none yet); it waits there.
INSERT INTO experiment_rung_results (experiment_id, trial, rung, samples, value, decision)
VALUES ($1, $2, $3, $4, $5, 'waiting');

-- name: decideRungResult
-- A waiting trial promoted or stopped at rung $3, held to cutoff $5.
UPDATE experiment_rung_results SET decision = $4, cutoff = $5, decided_at = now()
 WHERE experiment_id = $1 AND trial = $2 AND rung = $3 AND decision = 'waiting';

-- name: releaseTrial
-- A waiting trial may start: a coordinator takes its queued run from now on.
UPDATE experiment_trial_runs SET released_at = now()
 WHERE experiment_id = $1 AND trial = $2 AND released_at IS NULL;

-- name: markTrialStopped
-- ASHA stopped the trial (its run is cancelled in the same transaction), with the reason.
UPDATE experiment_trial_runs SET stopped_reason = $3 WHERE experiment_id = $1 AND trial = $2;

-- name: finishExperiment
-- Every trial has finished ($2 completed) or the experiment was cancelled ($2 cancelled).
UPDATE experiment_specs SET state = $2::experiment_state, finished_at = now() WHERE id = $1;

-- name: selectExperiments
-- Every experiment, or only $1, from the experiments view (what psql users see too).
SELECT experiment, name, method, metric, state, trials, running, waiting, pending, stopped, completed,
       samples_used, samples_all_trials_full, compute_pct, best_trial, best_metric,
       created_at::text, finished_at::text
  FROM experiments
 WHERE $1::bigint IS NULL OR experiment = $1
 ORDER BY experiment;

-- name: selectExperimentTrials
-- One experiment's trials from the experiment_trials view.
SELECT trial, run, state, parameters::text, best_metric, budget_used, budget_full, rung_passed, stopped_reason
  FROM experiment_trials WHERE experiment = $1 ORDER BY trial;

-- name: selectExperimentRuns
-- The runs of an experiment's trials, for cancelling them.
SELECT run_id FROM experiment_trial_runs WHERE experiment_id = $1 ORDER BY trial;

-- name: selectExperimentOfRun
-- The experiment and trial a run belongs to (none for a plain run).
SELECT experiment_id, trial FROM experiment_trial_runs WHERE run_id = $1;
