-- Experiments: a hyperparameter search is a set of runs (its trials) whose shards share the queue.
-- The search's spec (method, metric, parameters and ranges) is the experiment's; each trial is an
-- ordinary run with the trial's values applied to the config. A trial not yet released (beyond
-- max_concurrent) is a queued run no coordinator takes. ASHA's decisions are rows of
-- experiment_rung_results: the metric a trial had when it reached a rung, and whether it waits
-- there (its run paused), went on (resumed) or stopped (its run cancelled, the reason on the trial
-- and in run_events), with the bar it was held to.

CREATE TYPE experiment_state AS ENUM ('running', 'completed', 'cancelled');

CREATE TABLE experiment_specs (
    id          bigserial        PRIMARY KEY,
    name        text             NOT NULL,
    method      text             NOT NULL CHECK (method IN ('grid', 'random', 'asha')),
    metric      text             NOT NULL,
    goal        text             NOT NULL CHECK (goal IN ('maximize', 'minimize')),
    max_concurrent integer       NOT NULL CHECK (max_concurrent > 0),
    -- SearchSpec as JSON: parameters, ranges, seed, rungs.
    spec        jsonb            NOT NULL,
    config_yaml text             NOT NULL,
    state       experiment_state NOT NULL DEFAULT 'running',
    created_at  timestamptz      NOT NULL DEFAULT now(),
    finished_at timestamptz
);
COMMENT ON TABLE experiment_specs IS 'One row per hyperparameter search: its spec and state (the experiments view adds progress).';

CREATE TABLE experiment_trial_runs (
    experiment_id bigint      NOT NULL REFERENCES experiment_specs (id) ON DELETE CASCADE,
    trial         integer     NOT NULL CHECK (trial > 0),
    run_id        bigint      NOT NULL UNIQUE REFERENCES runs (id) ON DELETE CASCADE,
    -- The trial's values: {"optimizer.lr": 0.0031, ...}.
    parameters    jsonb       NOT NULL,
    -- When its run may be taken by a coordinator (NULL: waiting for a free max_concurrent slot).
    released_at   timestamptz,
    -- Set when ASHA stopped it (its run is cancelled).
    stopped_reason text,
    PRIMARY KEY (experiment_id, trial)
);
COMMENT ON TABLE experiment_trial_runs IS 'Each trial of an experiment: its run, its parameter values, when it was released, why ASHA stopped it.';

CREATE TABLE experiment_rung_results (
    experiment_id bigint           NOT NULL,
    trial         integer          NOT NULL,
    rung          integer          NOT NULL CHECK (rung >= 0),
    -- Samples the trial had trained when it was judged at this rung.
    samples       bigint           NOT NULL,
    -- Its metric there (NULL: no validation yet, ranked last).
    value         double precision,
    -- waiting: paused at the rung until enough results rank it; promoted: it went on; stopped.
    decision      text             NOT NULL CHECK (decision IN ('waiting', 'promoted', 'stopped')),
    cutoff        double precision,
    reached_at    timestamptz      NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    PRIMARY KEY (experiment_id, rung, trial),
    FOREIGN KEY (experiment_id, trial) REFERENCES experiment_trial_runs (experiment_id, trial) ON DELETE CASCADE
);
COMMENT ON TABLE experiment_rung_results IS 'ASHA: the metric of a trial at a rung, and whether it waits there, went on or stopped (with the cutoff).';

-- One row per trial: its run's state (pending before release, waiting while paused at a rung,
-- stopped when ASHA stopped it), parameters, best metric, samples trained of its full budget,
-- the highest rung it passed.
CREATE VIEW experiment_trials AS
SELECT t.experiment_id AS experiment,
       t.trial,
       t.run_id AS run,
       CASE WHEN t.stopped_reason IS NOT NULL THEN 'stopped'
            WHEN t.released_at IS NULL AND r.state = 'queued' THEN 'pending'
            WHEN r.state = 'paused' AND EXISTS (SELECT 1 FROM experiment_rung_results w
                  WHERE w.experiment_id = t.experiment_id AND w.trial = t.trial AND w.decision = 'waiting') THEN 'waiting'
            ELSE r.state::text END AS state,
       t.parameters,
       CASE WHEN e.goal = 'maximize' THEN b.best_max ELSE b.best_min END AS best_metric,
       s.samples_trained AS budget_used,
       s.samples_total AS budget_full,
       (SELECT max(g.rung) FROM experiment_rung_results g
         WHERE g.experiment_id = t.experiment_id AND g.trial = t.trial AND g.decision = 'promoted') AS rung_passed,
       t.stopped_reason
  FROM experiment_trial_runs t
  JOIN experiment_specs e ON e.id = t.experiment_id
  JOIN runs r ON r.id = t.run_id
  CROSS JOIN LATERAL (
        SELECT coalesce(sum(sh.sample_count) FILTER (WHERE sh.state = 'completed'), 0)::bigint AS samples_trained,
               coalesce(sum(sh.sample_count), 0)::bigint AS samples_total
          FROM shards sh WHERE sh.run_id = t.run_id) s
  CROSS JOIN LATERAL (
        SELECT max(m.value) AS best_max, min(m.value) AS best_min
          FROM metrics m WHERE m.run_id = t.run_id AND m.name = e.metric) b;
COMMENT ON VIEW experiment_trials IS 'One row per trial: state (pending, running, stopped, completed, ...), parameters, best metric, budget used of full, rung passed.';

-- One row per experiment: trials by state, compute used against running every trial to its end,
-- the best trial so far.
CREATE VIEW experiments AS
SELECT e.id AS experiment,
       e.name,
       e.method,
       e.metric,
       e.goal,
       e.state::text AS state,
       count(*) AS trials,
       count(*) FILTER (WHERE t.state IN ('queued', 'running', 'paused')) AS running,
       count(*) FILTER (WHERE t.state = 'waiting') AS waiting,
       count(*) FILTER (WHERE t.state = 'pending') AS pending,
       count(*) FILTER (WHERE t.state = 'stopped') AS stopped,
       count(*) FILTER (WHERE t.state = 'completed') AS completed,
       sum(t.budget_used)::bigint AS samples_used,
       sum(t.budget_full)::bigint AS samples_all_trials_full,
       round(100.0 * sum(t.budget_used) / nullif(sum(t.budget_full), 0), 1) AS compute_pct,
       (array_agg(t.trial ORDER BY CASE WHEN e.goal = 'maximize' THEN -t.best_metric ELSE t.best_metric END)
            FILTER (WHERE t.best_metric IS NOT NULL))[1] AS best_trial,
       CASE WHEN e.goal = 'maximize' THEN max(t.best_metric) ELSE min(t.best_metric) END AS best_metric,
       e.created_at,
       e.finished_at
  FROM experiment_specs e
  JOIN experiment_trials t ON t.experiment = e.id
 GROUP BY e.id;
COMMENT ON VIEW experiments IS 'One row per experiment: trials by state, samples used vs every trial run to its end, best trial and metric.';
