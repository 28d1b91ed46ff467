-- Datasets stored in PostgreSQL, like checkpoints: a run names one (`data: {dataset: NAME}`) and
-- every worker reads its shard's lines from the database, so no machine needs a shared folder.
-- One row per image (its original PNG or JPEG bytes) and label: a shard reads its lines with one
-- indexed query, and an import is one transaction (complete is set by its last statement, so a
-- dataset that is visible is whole).

CREATE TABLE datasets (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    -- Where it was imported from, and in which format (crnnctl datasets add).
    source     text        NOT NULL,
    format     text        NOT NULL,
    lines      integer     NOT NULL DEFAULT 0,
    bytes      bigint      NOT NULL DEFAULT 0,
    complete   boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE datasets IS 'Labelled line datasets stored in the database: name, source, lines, image bytes.';

CREATE TABLE dataset_lines (
    dataset_id bigint  NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- 1-based, in the order of the source.
    line       integer NOT NULL CHECK (line > 0),
    label      text    NOT NULL,
    image      bytea   NOT NULL,
    PRIMARY KEY (dataset_id, line)
);
COMMENT ON TABLE dataset_lines IS 'One labelled image per row: the original PNG/JPEG bytes and the label.';
