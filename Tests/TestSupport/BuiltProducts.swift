import Foundation
import Store

/// The executables built next to the test bundle (`swift build --build-tests` builds them).
public enum BuiltProducts {
    public static var directory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    public static func path(_ product: String) -> String {
        directory.appendingPathComponent(product).path
    }

    /// Runs a built product with `arguments`, extra environment, and returns status + output.
    public static func run(
        _ product: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> CommandRunner.Output {
        try CommandRunner.run([path(product)] + arguments, environment: environment)
    }
}
