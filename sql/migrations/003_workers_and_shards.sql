-- Workers and the shard queue. A shard is a unit of training work: (run, epoch, index) with the
-- seed that regenerates its synthetic samples bit for bit, or a slice of a dataset manifest.
--
-- Shard states (who moves them: the statements in sql/queries/shards.sql):
--   available -> running    a worker claims it with a lease (ShardQueue.claim)
--   running   -> completed  its lease owner completes it, with its final metrics, in one transaction
--   running   -> available  the owner gives it back, or the rescuer finds its lease expired (attempt + 1)
--   running   -> failed     the rescuer or the owner fails it once attempt reaches max_attempts

CREATE TABLE workers (
    id             bigserial   PRIMARY KEY,
    -- Human-chosen or host-derived name; not unique (a restarted worker registers anew).
    name           text        NOT NULL,
    host           text        NOT NULL,
    pid            integer     NOT NULL,
    threads        integer     NOT NULL,
    -- crnn-cluster version of the worker binary.
    version        text        NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    -- Renewed by WorkerRegistry.heartbeat, together with the worker's leases.
    last_heartbeat timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE workers IS 'Every worker process that registered: who, where, and when it last said it was alive.';

CREATE TABLE shards (
    id               bigserial   PRIMARY KEY,
    run_id           bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch            integer     NOT NULL,
    index            integer     NOT NULL,
    -- Seed of this shard's sample stream (synthetic rendering, or the shuffle of a dataset slice).
    seed             bigint      NOT NULL,
    -- For dataset runs: the rows [slice_start, slice_start + slice_count) of labels.tsv; NULL for synthetic.
    slice_start      integer,
    slice_count      integer,
    sample_count     integer     NOT NULL CHECK (sample_count > 0),
    state            shard_state NOT NULL DEFAULT 'available',
    -- Failed attempts so far (expired leases and reported failures); a give-back does not count.
    attempt          integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    -- The worker holding the lease while running; the one that completed it afterwards.
    lease_owner      bigint      REFERENCES workers (id),
    lease_expires_at timestamptz,
    claimed_at       timestamptz,
    completed_at     timestamptz,
    -- The last failure's reason (lease expired, or what the worker reported).
    error            text,
    UNIQUE (run_id, epoch, index),
    CHECK ((slice_start IS NULL) = (slice_count IS NULL)),
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
COMMENT ON TABLE shards IS 'The work queue: one row per (run, epoch, index), claimed with a lease.';
COMMENT ON COLUMN shards.attempt IS 'Failed attempts so far; the shard fails once attempt reaches max_attempts.';
COMMENT ON COLUMN shards.lease_owner IS 'workers.id holding the lease (running) or that completed the shard.';

-- The claim query walks this in (epoch, index) order for one run. Partial, so it stays as small
-- as the remaining work and completed shards cost nothing.
CREATE INDEX shards_claimable ON shards (run_id, epoch, index) WHERE state = 'available';
-- The rescuer's question: which leases have expired.
CREATE INDEX shards_leased ON shards (lease_expires_at) WHERE state = 'running';
