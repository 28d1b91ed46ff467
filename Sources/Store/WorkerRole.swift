import Foundation

/// A least-privilege PostgreSQL role for workers. Anyone holding a URL of a role that owns the
/// schema (the default: the superuser) can rewrite or delete runs; a worker needs much less:
/// read the runs it trains, claim, renew, give back, fail and complete shards, register and beat
/// as a worker, and add metrics. The grants below are exactly that (column by column where it
/// updates), so a leaked worker URL cannot change a run's config, state or checkpoints, delete
/// anything, or change the schema. Applying them again is harmless (after a migration that adds
/// what workers need, run it again).
public struct WorkerRole {
    /// Table privileges, in the order they are granted; the role gets nothing else in the schema.
    static let grants = [
        "GRANT SELECT ON runs TO %@",
        "GRANT SELECT, UPDATE (state, lease_owner, lease_expires_at, claimed_at, completed_at, attempt, error) ON shards TO %@",
        "GRANT SELECT, INSERT, UPDATE (last_heartbeat) ON workers TO %@",
        "GRANT USAGE ON SEQUENCE workers_id_seq TO %@",
        "GRANT INSERT ON metrics TO %@",
        // The claim serves an experiment's released trials (migration 008).
        "GRANT SELECT ON experiment_trial_runs TO %@",
        // Runs on a dataset stored in PostgreSQL read its labels and images (migration 010).
        "GRANT SELECT ON datasets TO %@",
        "GRANT SELECT ON dataset_lines TO %@",
        // To check that the schema is the one this build knows.
        "GRANT SELECT ON schema_migrations TO %@",
    ]

    public enum Failure: Error, CustomStringConvertible {
        case badName(String)
        public var description: String {
            switch self {
            case .badName(let name):
                return "role name \(name.debugDescription): use 1–63 lower-case letters, digits and _, starting with a letter"
            }
        }
    }

    let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Creates `name` (LOGIN, no other attributes) if it does not exist, sets its password when
    /// given, and grants what a worker needs in the connected database.
    /// - Throws: `Failure.badName` for a name that is not a plain identifier (role names cannot
    ///   be bind parameters in DDL, so only such names are accepted), PostgreSQL errors.
    public func grant(to name: String, password: String? = nil) throws {
        guard Self.isPlainIdentifier(name) else { throw Failure.badName(name) }
        try connection.transaction {
            let exists = try connection.execute(Queries.roleExists, [name])
            if exists.isEmpty { try connection.execute("CREATE ROLE \(name) LOGIN") }
            if let password {
                // ALTER ROLE takes no bind parameters; format() quotes the literal server-side.
                let statement = try connection.execute(Queries.formatAlterRolePassword, [name, password])
                try connection.execute(statement.string(0, 0) ?? "")
            }
            let database = try connection.execute(Queries.quotedCurrentDatabase).string(0, 0) ?? ""
            try connection.execute("GRANT CONNECT ON DATABASE \(database) TO \(name)")
            try connection.execute("GRANT USAGE ON SCHEMA public TO \(name)")
            for grant in Self.grants { try connection.execute(grant.replacingOccurrences(of: "%@", with: name)) }
        }
    }

    /// Takes back everything `grant` gave in this database (the role itself stays: it may have
    /// rights in other databases; `DROP ROLE` it when none are left).
    public func revoke(from name: String) throws {
        guard Self.isPlainIdentifier(name) else { throw Failure.badName(name) }
        try connection.transaction {
            for table in ["runs", "shards", "workers", "metrics", "experiment_trial_runs", "datasets", "dataset_lines", "schema_migrations"] {
                try connection.execute("REVOKE ALL ON \(table) FROM \(name)")
            }
            try connection.execute("REVOKE ALL ON SEQUENCE workers_id_seq FROM \(name)")
            try connection.execute("REVOKE USAGE ON SCHEMA public FROM \(name)")
            let database = try connection.execute(Queries.quotedCurrentDatabase).string(0, 0) ?? ""
            try connection.execute("REVOKE CONNECT ON DATABASE \(database) FROM \(name)")
        }
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
