import ArgumentParser
import CommandLineSupport
import Store

struct DBURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url",
        abstract: "Print the database URL, for psql or DATABASE_URL.",
        discussion: "Example: psql \"$(crnnctl db url)\" -c 'select * from run_summary'")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        switch database.location {
        case .url(let url): print(url)
        case .local(let home): print(LocalPostgres(home: home).url)
        }
    }
}
