import Foundation
import Testing
import TestSupport

/// What a person meets first: help texts and the errors for mistyped commands.
@Suite struct HelpAndErrorsTests {
    static let commandPaths: [[String]] = [
        [], ["db"], ["db", "start"], ["db", "stop"], ["db", "status"], ["db", "url"], ["db", "psql"],
        ["db", "migrate"], ["gen"], ["bench"], ["bench", "gen"], ["bench", "train"], ["bench", "codec"], ["bench", "ps"], ["bench", "queue"], ["submit"], ["runs"], ["show"], ["cancel"], ["pause"], ["resume"], ["metrics"], ["plot"], ["checkpoints"], ["checkpoints", "list"], ["checkpoints", "fetch"], ["sql"], ["predict"], ["eval"], ["export"], ["import-torch"],
    ]

    @Test(arguments: commandPaths)
    func everyCommandHasReadableHelp(path: [String]) throws {
        let output = try BuiltProducts.run("crnnctl", path + ["--help"])
        #expect(output.status == 0)
        #expect(output.text.contains("OVERVIEW:"))
        #expect(output.text.contains("USAGE: crnnctl"))
    }

    @Test(arguments: ["crnn-coordinator", "crnn-worker"])
    func daemonsHaveReadableHelp(product: String) throws {
        let output = try BuiltProducts.run(product, ["--help"])
        #expect(output.status == 0)
        #expect(output.text.contains("USAGE: \(product)"))
    }

    @Test func unknownSubcommandFailsWithAMessage() throws {
        let output = try BuiltProducts.run("crnnctl", ["frobnicate"])
        #expect(output.status != 0)
        #expect(output.text.contains("frobnicate"))
    }

    @Test func unknownOptionFailsWithAMessage() throws {
        let output = try BuiltProducts.run("crnnctl", ["db", "status", "--colour"])
        #expect(output.status != 0)
        #expect(output.text.contains("Unknown option '--colour'"))
    }
}
