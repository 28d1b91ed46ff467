-- Applying sql/migrations (Migrator): which versions are recorded in schema_migrations, and the
-- lock that keeps two daemons starting together from applying the same one.

-- name: schemaMigrationsExists
-- Whether the database has been migrated at all. Needs no rights on any table, so a
-- least-privilege worker role can ask before anything is created; crnnctl db status asks too.
SELECT to_regclass('schema_migrations') IS NOT NULL;

-- name: createSchemaMigrations
-- The record of applied migrations, created before the first one (it is not a migration itself,
-- since it records them).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: lockMigrations
-- Serialises migrating daemons until the transaction ends; the re-check inside it sees the
-- winner's row. 727274001 is this lock's fixed key, apart from RunOwnership's two-key locks.
SELECT pg_advisory_xact_lock(727274001);

-- name: isMigrationApplied
-- A row when version $1 is recorded.
SELECT 1 FROM schema_migrations WHERE version = $1;

-- name: recordMigration
-- Records version $1 ($2 its name), in the transaction that applied it.
INSERT INTO schema_migrations (version, name) VALUES ($1, $2);

-- name: selectSchemaVersion
-- The highest applied version, 0 for a fresh database.
SELECT coalesce(max(version), 0) FROM schema_migrations;
