-- Metrics are plain rows, one value each, so any question is a SELECT. Names in use (Swift
-- MetricName): train_loss, val_accuracy, val_loss, samples (samples trained in the reporting
-- interval: throughput is their sum over time), lr, staleness.

CREATE TABLE metrics (
    run_id    bigint           NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- Parameter version (optimizer updates applied) the value refers to.
    step      bigint           NOT NULL,
    time      timestamptz      NOT NULL DEFAULT now(),
    -- The reporting worker; NULL for values computed by the coordinator (validation).
    worker_id bigint           REFERENCES workers (id),
    name      text             NOT NULL,
    value     double precision NOT NULL
);
COMMENT ON TABLE metrics IS 'One measured value per row: (run, step, time, worker or NULL, name, value).';

-- Every per-run question names a metric and wants it by step (curves, latest value, best value).
CREATE INDEX metrics_by_run_name_step ON metrics (run_id, name, step);
