-- Statements about the database itself rather than crnn-cluster's tables: creating the local
-- default's database, and the scratch schema crnnctl bench queue works in.

-- name: databaseExists
-- A row when database $1 exists in the cluster (LocalPostgres creates crnn on first start).
SELECT 1 FROM pg_database WHERE datname = $1;

-- name: setSearchPath
-- Points this session's unqualified names at schema $1 (a scratch schema of the queue
-- benchmark). SET takes no bind parameters; set_config does (false: for the session, not only
-- the transaction).
SELECT set_config('search_path', $1, false);
