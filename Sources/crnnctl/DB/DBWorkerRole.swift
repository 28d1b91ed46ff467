import ArgumentParser
import CommandLineSupport
import Foundation
import Store

struct DBWorkerRole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker-role",
        abstract: "Create (or update) a least-privilege PostgreSQL role for workers.",
        discussion: """
            A database URL is a key to everything: whoever holds the schema owner's URL can rewrite \
            or delete runs. Give workers the URL of this role instead: it can read runs; claim, \
            renew, give back, fail and complete shards; register and beat as a worker; and add \
            metrics. It cannot change a run, its checkpoints or the schema, nor delete anything. \
            Run it again after `db migrate` (harmless when nothing changed).

            Example: crnnctl db worker-role crnn_worker --password-file worker.pass, then start \
            workers with --db postgresql://crnn_worker:PASSWORD@dbhost/crnn.
            """)

    @Argument(help: "Role name: lower-case letters, digits and _, starting with a letter.")
    var name: String

    @Option(help: "Read the role's password from this file (first line); without it the role has none (Unix-socket trust only).")
    var passwordFile: String?

    @Flag(help: "Take the role's rights in this database back instead.")
    var revoke = false

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let connection = try database.location.connectMigrated(applicationName: "crnnctl")
        let role = WorkerRole(connection: connection)
        if revoke {
            try role.revoke(from: name)
            print("role \(name): rights in this database revoked")
            return
        }
        var password: String?
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw ValidationError("--password-file \(passwordFile): not readable")
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if password?.isEmpty ?? true { throw ValidationError("--password-file \(passwordFile): the first line is empty") }
        }
        try role.grant(to: name, password: password)
        print("role \(name): may read runs, claim/renew/give back/fail/complete shards, register workers, add metrics"
              + (password == nil ? " (no password)" : " (password set)"))
    }
}
