-- Datasets stored in PostgreSQL (DatasetStore): the import (one transaction), listing, removal,
-- and what coordinators and workers read: every label once, a shard's images by line.

-- name: insertDataset
-- A dataset being imported, not complete until completeDataset in the same transaction.
INSERT INTO datasets (name, source, format) VALUES ($1, $2, $3) RETURNING id;

-- name: insertDatasetLine
-- One labelled image; prepared, since an import runs it once per line.
INSERT INTO dataset_lines (dataset_id, line, label, image) VALUES ($1, $2, $3, $4);

-- name: completeDataset
-- The import's last statement: the counts, and the dataset usable.
UPDATE datasets SET lines = $2, bytes = $3, complete = true WHERE id = $1;

-- name: selectDatasets
-- Every complete dataset, or only the one named $1.
SELECT id, name, source, format, lines, bytes, created_at::text
  FROM datasets WHERE complete AND ($1::text IS NULL OR name = $1) ORDER BY name;

-- name: selectRunsUsingDataset
-- The unfinished runs that train on dataset $1 (its id, alone or in a mix, anywhere in the
-- effective config): removing the dataset would fail their shards.
SELECT id, state::text FROM runs
 WHERE state IN ('queued', 'running', 'paused')
   AND jsonb_path_exists(hyperparameters, '$.**.stored.id ? (@ == $id)', jsonb_build_object('id', $1::bigint))
 ORDER BY id;

-- name: deleteDataset
-- Removes a dataset and its lines; returns its id when there was one.
DELETE FROM datasets WHERE name = $1 RETURNING id;

-- name: selectDatasetLabels
-- Every label of a dataset in line order (small: coordinators and workers split and encode them).
SELECT label FROM dataset_lines WHERE dataset_id = $1 ORDER BY line;

-- name: selectDatasetImages
-- The images of lines $2 (an array of 1-based line numbers) of dataset $1: one indexed query per shard.
SELECT line, image FROM dataset_lines WHERE dataset_id = $1 AND line = ANY($2::int[]);
