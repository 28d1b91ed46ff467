-- Checkpoints: the bytes of a checkpoint file, chunked so no single value approaches bytea's
-- 1 GB limit and a fetch can stream, with the metrics they were taken at and a SHA-256 of the
-- whole file to detect damage.

CREATE TABLE checkpoints (
    id         bigserial   PRIMARY KEY,
    run_id     bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step       bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- 'best': kept while among the run's best k by val_accuracy; 'latest': only the newest is kept.
    kind       text        NOT NULL CHECK (kind IN ('best', 'latest')),
    -- Snapshot of the metrics when it was taken, e.g. {"val_accuracy": 0.91, "train_loss": 0.3}.
    metrics    jsonb       NOT NULL DEFAULT '{}',
    -- Size in bytes and lowercase hex SHA-256 of the whole file (all chunks in order).
    size       bigint      NOT NULL CHECK (size >= 0),
    sha256     text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE checkpoints IS 'Checkpoint files of a run (bytes in checkpoint_chunks) with their metrics.';
CREATE INDEX checkpoints_by_run ON checkpoints (run_id, step);

CREATE TABLE checkpoint_chunks (
    checkpoint_id bigint  NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
    -- 0, 1, 2, ... in file order.
    seq           integer NOT NULL,
    bytes         bytea   NOT NULL,
    PRIMARY KEY (checkpoint_id, seq)
);
COMMENT ON TABLE checkpoint_chunks IS 'Checkpoint bytes, in pieces of at most 8 MiB, in seq order.';
-- Checkpoint payloads are already zstd-compressed: store them out of line without TOAST's
-- compression attempt, which would only burn CPU.
ALTER TABLE checkpoint_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
