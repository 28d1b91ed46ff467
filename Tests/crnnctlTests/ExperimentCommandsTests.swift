import Foundation
import Testing
import TestSupport

/// `crnnctl submit` of a config with a search section, `experiments`, `experiments show` and
/// `experiments cancel`, as a user types them.
@Suite struct ExperimentCommandsTests {
    let commands = RunCommandsTests()
    let search = RunCommandsTests.examples.appendingPathComponent("search-lr.yaml").path

    @Test func submitListShowAndCancelAnExperiment() throws {
        let url = try TestDatabase.freshDatabaseURL()
        let submitted = try commands.crnnctl(["submit", search, "--set", "search.trials=3"], db: url)
        #expect(submitted.status == 0, "\(submitted.text)")
        #expect(submitted.text.contains("experiment 1 queued: asha, 3 trials (runs 1–3, 288 shards), 3 at a time, by val_loss"))
        #expect(submitted.text.contains("trial 1: optimizer.lr=2.843e-05"), "the same seed draws the same trials")
        let list = try commands.crnnctl(["experiments"], db: url)
        #expect(list.status == 0 && list.text.contains("search-lr") && list.text.contains("asha"), "\(list.text)")
        let show = try commands.crnnctl(["experiments", "show", "1", "--json"], db: url)
        #expect(show.status == 0 && show.text.contains("\"parameters\" : \"{\\\"optimizer.lr\\\": 0.00002843}\""), "\(show.text)")
        let cancel = try commands.crnnctl(["experiments", "cancel", "1"], db: url)
        #expect(cancel.status == 0 && cancel.text.contains("experiment 1 cancelled; runs 1, 2, 3 cancelled"), "\(cancel.text)")
        let runs = try commands.crnnctl(["runs"], db: url)
        #expect(runs.text.components(separatedBy: "cancelled").count - 1 == 3, "\(runs.text)")
        let again = try commands.crnnctl(["experiments", "cancel", "1"], db: url)
        #expect(again.status != 0 && again.text.contains("experiment 1 is cancelled"), "\(again.text)")
        let missing = try commands.crnnctl(["experiments", "show", "7"], db: url)
        #expect(missing.status != 0 && missing.text.contains("there is no experiment 7"), "\(missing.text)")
        let noBest = try commands.crnnctl(["checkpoints", "fetch", "--experiment", "1", "--best", "-o", "/tmp/never.crnn"], db: url)
        #expect(noBest.status != 0 && noBest.text.contains("no validated trial"), "\(noBest.text)")
    }

    @Test func aBadSearchIsRefusedBeforeTheDatabaseNamingTheParameter() throws {
        let refused = try commands.crnnctl(["submit", search, "--set", "search.parameters={optimizer.lrr: {uniform: [0.1, 0.2]}}"],
                                           db: "postgresql:///never-reached")
        #expect(refused.status != 0 && refused.text.contains("search.parameters.optimizer.lrr: trial 1 sets optimizer.lrr"),
                "\(refused.text)")
        #expect(!refused.text.contains("connect"), "refused before connecting")
    }
}
