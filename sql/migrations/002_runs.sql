-- Runs and their audit trail. A run is one training job: its config, its alphabet, and where its
-- parameter server listens. Moves between states are made by RunStore (Swift RunLifecycle says
-- which moves are legal) and each one leaves a row in run_events.

CREATE TABLE runs (
    id              bigserial PRIMARY KEY,
    name            text        NOT NULL,
    state           run_state   NOT NULL DEFAULT 'queued',
    -- Higher first; among equals the older run goes first.
    priority        integer     NOT NULL DEFAULT 0,
    -- The config file as the user wrote it (comments included), for humans.
    config_yaml     text        NOT NULL,
    -- The `--set key=value` overrides given at submit time, applied on top of config_yaml.
    config_overrides text[]     NOT NULL DEFAULT '{}',
    -- The effective config with every default filled in (RunConfig as JSON): what the
    -- coordinator and workers read, and what SQL queries filter on (hyperparameters->'optimizer'->>'lr').
    hyperparameters jsonb       NOT NULL,
    seed            bigint      NOT NULL,
    -- Preset name or absolute file path of the alphabet, as configured.
    charset_name    text        NOT NULL,
    -- The resolved alphabet, class i+1 = charset[i] (class 0 is the CTC blank), so a run always
    -- decodes with its own alphabet even after fonts or files change. Filled at submit time from a
    -- charset file, or by the coordinator when it resolves a preset, before any shard is handed out.
    charset         text[],
    -- host:port of the run's parameter server, published by the coordinator that runs it.
    ps_address      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    -- Why the run failed (or was cancelled, when a reason was given).
    error           text
);
COMMENT ON TABLE runs IS 'One training job each: config, alphabet, state, parameter-server address.';
COMMENT ON COLUMN runs.hyperparameters IS 'Effective config (all defaults filled) as JSON; query it with ->, ->>.';
COMMENT ON COLUMN runs.charset IS 'Resolved alphabet: class i+1 is charset[i], class 0 the CTC blank.';
COMMENT ON COLUMN runs.ps_address IS 'host:port of the parameter server, set by the coordinator.';

-- The scheduler's question: which runs are waiting or running, by priority.
CREATE INDEX runs_by_state_priority ON runs (state, priority DESC, id);

-- Audit trail: one row per state change (submit included), with who made it and why.
CREATE TABLE run_events (
    id         bigserial   PRIMARY KEY,
    run_id     bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    time       timestamptz NOT NULL DEFAULT now(),
    -- NULL for the submit event, which creates the run.
    from_state run_state,
    to_state   run_state   NOT NULL,
    -- Who: 'crnnctl@host', 'coordinator@host', 'rescuer', ...
    actor      text        NOT NULL,
    detail     text
);
COMMENT ON TABLE run_events IS 'Audit trail of run state changes: from, to, who, why.';
CREATE INDEX run_events_by_run ON run_events (run_id, time);
