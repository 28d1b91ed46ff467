-- The least-privilege worker role (WorkerRole). Role and database names cannot be bind
-- parameters in CREATE ROLE, ALTER ROLE and GRANT, so the statements that use them are built in
-- WorkerRole from a name it checked is a plain identifier; these are the ones that can bind.

-- name: roleExists
-- A row when role $1 exists (roles are per cluster, not per database).
SELECT 1 FROM pg_roles WHERE rolname = $1;

-- name: formatAlterRolePassword
-- The ALTER ROLE that sets role $1's password to $2. ALTER ROLE takes no bind parameters, so
-- format() builds it server-side, quoting the name (%I) and the password literal (%L).
SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text);

-- name: quotedCurrentDatabase
-- The connected database's name, quoted for GRANT/REVOKE ... ON DATABASE.
SELECT quote_ident(current_database());
