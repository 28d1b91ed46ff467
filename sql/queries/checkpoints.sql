-- Checkpoint files (CheckpointStore): bytes in checkpoint_chunks, size and SHA-256 in
-- checkpoints with the metrics it was taken at. The SHA-256 is PostgreSQL's sha256() over the
-- chunks as stored, so it detects damage at rest. Every statement that returns checkpoints
-- returns the same columns, in the order CheckpointStore.Record reads them.

-- name: insertCheckpoint
-- The checkpoint's row, before its chunks. The SHA-256 is filled in by recordCheckpointDigest
-- once the chunks are in; the placeholder never leaves the transaction.
INSERT INTO checkpoints (run_id, step, kind, metrics, size, sha256)
VALUES ($1, $2, $3, $4::jsonb, $5, repeat('0', 64)) RETURNING id;

-- name: insertCheckpointChunk
-- One chunk (8 MiB by default) of checkpoint $1 at position $2.
INSERT INTO checkpoint_chunks (checkpoint_id, seq, bytes) VALUES ($1, $2, $3);

-- name: recordCheckpointDigest
-- The same aggregate as hashCheckpointChunks, written into the row once the chunks are in.
UPDATE checkpoints
   SET sha256 = (SELECT encode(sha256(string_agg(bytes, ''::bytea ORDER BY seq)), 'hex')
                   FROM checkpoint_chunks WHERE checkpoint_id = $1)
 WHERE id = $1;

-- name: hashCheckpointChunks
-- The hash and total size of a checkpoint's chunks in seq order, as stored. One aggregate, so
-- the server never ships the bytes to compute it; coalesce makes a checkpoint without chunks
-- hash as empty instead of NULL.
SELECT encode(sha256(coalesce(string_agg(bytes, ''::bytea ORDER BY seq), ''::bytea)), 'hex'),
       coalesce(sum(length(bytes)), 0)
  FROM checkpoint_chunks WHERE checkpoint_id = $1;

-- name: selectCheckpoint
-- One checkpoint by id.
SELECT id, run_id, step, kind, created_at::text, metrics::text, size, sha256
  FROM checkpoints WHERE id = $1;

-- name: listCheckpoints
-- A run's checkpoints, oldest step first.
SELECT id, run_id, step, kind, created_at::text, metrics::text, size, sha256
  FROM checkpoints WHERE run_id = $1 ORDER BY step, id;

-- name: selectBestCheckpoint
-- The run's checkpoint with the highest val_accuracy, as the best_checkpoints view ranks them.
SELECT id, run_id, step, kind, created_at::text, metrics::text, size, sha256
  FROM checkpoints WHERE id = (SELECT checkpoint FROM best_checkpoints WHERE run = $1);

-- name: selectLatestCheckpoint
-- The run's checkpoint with the highest step, whatever its kind.
SELECT id, run_id, step, kind, created_at::text, metrics::text, size, sha256
  FROM checkpoints WHERE run_id = $1 ORDER BY step DESC, id DESC LIMIT 1;

-- name: selectCheckpointAtStep
-- The newest checkpoint run $1 took at step $2.
SELECT id, run_id, step, kind, created_at::text, metrics::text, size, sha256
  FROM checkpoints WHERE run_id = $1 AND step = $2 ORDER BY id DESC LIMIT 1;

-- name: countCheckpointChunks
-- How many chunks to fetch, one statement each.
SELECT count(*) FROM checkpoint_chunks WHERE checkpoint_id = $1;

-- name: selectCheckpointChunk
-- One chunk per statement (read in binary): memory stays at one chunk beyond the result.
SELECT bytes FROM checkpoint_chunks WHERE checkpoint_id = $1 AND seq = $2;

-- name: applyCheckpointRetention
-- Keeps run $1's $2 best checkpoints of kind best (highest val_accuracy, newest among equals)
-- and, when $3, its newest of kind latest; deletes the rest, their chunks by ON DELETE CASCADE.
-- row_number() ranks each kind apart; the CASE makes val_accuracy rank only the best ones.
DELETE FROM checkpoints WHERE id IN (
    SELECT id FROM (
        SELECT id, kind,
               row_number() OVER (
                   PARTITION BY kind
                   ORDER BY CASE WHEN kind = 'best' THEN (metrics ->> 'val_accuracy')::float8 END DESC NULLS LAST,
                            step DESC, id DESC) AS rank
          FROM checkpoints WHERE run_id = $1) ranked
     WHERE (kind = 'best' AND rank > $2) OR (kind = 'latest' AND (rank > 1 OR NOT $3)))
RETURNING id;
