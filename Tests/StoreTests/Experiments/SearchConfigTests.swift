import Foundation
import Testing
@testable import Store

/// The `search:` section: trials drawn reproducibly from the seed, each a validated run config,
/// and every mistake named with its key and line.
@Suite struct SearchConfigTests {
    static let base = """
        model: tiny
        charset: digits
        data: {synthetic: {samples_per_epoch: 2048}}
        shard_size: 256
        batch_size: 32
        optimizer: {type: adam, lr: 0.001}
        seed: 5

        """

    func plan(_ search: String, overrides: [String] = []) throws -> ExperimentPlan {
        let parsed = try RunConfigParser().parseExperiment(yaml: Self.base + search, file: "search.yaml", baseDirectory: "/tmp",
                                                           overrides: overrides)
        return try #require(parsed)
    }

    func refusal(_ search: String) -> RunConfigError? {
        do { _ = try plan(search); return nil } catch { return error as? RunConfigError }
    }

    static let asha = """
        search:
          method: asha
          trials: 8
          max_concurrent: 3
          parameters:
            optimizer.lr: {log_uniform: [1.0e-5, 0.1]}
            batch_size: {choice: [16, 32]}
        """

    @Test func aPlainConfigIsNoExperiment() throws {
        #expect(try RunConfigParser().parseExperiment(yaml: Self.base, file: "run.yaml", baseDirectory: "/tmp") == nil)
    }

    @Test func trialsAreRunConfigsWithTheirValuesAppliedAndReproducibleFromTheSeed() throws {
        let first = try plan(Self.asha), again = try plan(Self.asha)
        #expect(first.spec.method == .asha && first.spec.trials == 8 && first.spec.maxConcurrent == 3)
        #expect(first.spec.metric == "val_accuracy" && first.spec.goal == .maximize && first.spec.seed == 5)
        #expect(first.trials.map(\.trial) == again.trials.map(\.trial), "same seed, same trials")
        let rates = first.trials.map(\.config.optimizer.lr)
        #expect(rates.allSatisfy { (1e-5...0.1).contains($0) })
        #expect(Set(rates).count == 8 && rates.min()! < 1e-3 && rates.max()! > 1e-3, "log-uniform spreads over decades: \(rates)")
        for planned in first.trials {
            #expect(planned.config.optimizer.type == .adam, "the rest of the config stays")
            #expect(planned.trial.overrides.first == "optimizer.lr=\(planned.config.optimizer.lr)")
            #expect([16, 32].contains(planned.config.batchSize))
        }
        let reseeded = try plan(Self.asha, overrides: ["search.seed=6"])
        #expect(reseeded.trials.map(\.config.optimizer.lr) != rates, "another seed, other trials")
        #expect(first.base.optimizer.lr == 0.001 && first.spec.rungs == .init(minBudget: 1.0 / 9, reductionFactor: 3))
        let json = try first.trials[0].trial.parametersJSON()
        #expect(json.hasPrefix("{\"batch_size\":") && json.contains("\"optimizer.lr\":"), "\(json)")
    }

    @Test func aGridIsEveryCombinationFirstParameterSlowest() throws {
        let grid = try plan("""
            search:
              method: grid
              parameters:
                optimizer.lr: {log_uniform: [0.0001, 0.01], points: 3}
                model: {choice: [tiny, mini]}
            """)
        #expect(grid.spec.trials == 6 && grid.trials.count == 6)
        #expect(grid.trials.map(\.config.optimizer.lr) == [0.0001, 0.0001, 0.001, 0.001, 0.01, 0.01])
        #expect(grid.trials.map(\.config.model.rawValue) == ["tiny", "mini", "tiny", "mini", "tiny", "mini"])
        let ints = try plan("search: {method: grid, parameters: {epochs: {int: [1, 3]}}}")
        #expect(ints.trials.map(\.config.epochs) == [1, 2, 3])
    }

    @Test func mistakesAreNamedWithKeyAndLine() throws {
        let unknownPath = refusal("""
            search:
              method: random
              trials: 2
              parameters:
                optimizer.lrr: {uniform: [0.001, 0.01]}
            """)
        #expect(unknownPath?.key == "search.parameters.optimizer.lrr" && unknownPath?.line == 12, "\(String(describing: unknownPath)) line \(String(describing: unknownPath?.line))")
        #expect(unknownPath?.reason.contains("unknown key") == true)
        let throughScalar = refusal("search: {method: random, trials: 2, parameters: {model.width: {int: [1, 2]}}}")
        #expect(throughScalar?.key == "search.parameters.model.width", "\(String(describing: throughScalar))")
        let outOfRange = refusal("search: {method: random, trials: 3, parameters: {batch_size: {int: [300, 400]}}}")
        #expect(outOfRange?.key == "search.parameters.batch_size" && outOfRange?.reason.contains("shard_size") == true,
                "\(String(describing: outOfRange))")

        let cases: [(String, String, String)] = [
            ("search: {method: random, trials: 2, parameters: {optimizer.lr: {uniform: [0.01, 0.001]}}}",
             "search.parameters.optimizer.lr.uniform", "empty range"),
            ("search: {method: random, trials: 2, parameters: {optimizer.lr: {log_uniform: [0, 0.1]}}}",
             "search.parameters.optimizer.lr.log_uniform[0]", "low > 0"),
            ("search: {method: random, trials: 2, parameters: {model: {choice: []}}}", "search.parameters.model.choice", "empty range"),
            ("search: {method: random, trials: 2, parameters: {epochs: {int: [3, 1]}}}", "search.parameters.epochs.int", "empty range"),
            ("search: {method: random, trials: 2, parameters: {}}", "search.parameters", "no parameter"),
            ("search: {method: grid, parameters: {optimizer.lr: {uniform: [0.001, 0.01]}}}", "search.parameters.optimizer.lr", "points"),
            ("search: {method: asha, parameters: {epochs: {int: [1, 2]}}}", "search.trials", "required"),
            ("search: {method: bayes, trials: 2, parameters: {epochs: {int: [1, 2]}}}", "search.method", "grid, random, asha"),
            ("search: {method: random, trials: 2, metric: accuracy, parameters: {epochs: {int: [1, 2]}}}", "search.metric", "val_accuracy"),
            ("search: {method: random, trials: 2, asha: {min_budget: 0.1}, parameters: {epochs: {int: [1, 2]}}}", "search.asha", "only"),
            ("search: {method: asha, trials: 2, asha: {min_budget: 1.5}, parameters: {epochs: {int: [1, 2]}}}", "search.asha.min_budget", "(0.0, 1.0)"),
            ("search: {method: random, trials: 2, parameters: {charset: {choice: [digits, ascii]}}}", "search.parameters.charset", "same for every trial"),
            ("search: {method: random, trials: 2, parameters: {search.trials: {int: [1, 2]}}}", "search.parameters.search.trials", "its own"),
            ("search: {method: random, trials: 2, trails: 3, parameters: {epochs: {int: [1, 2]}}}", "search.trails", "unknown key"),
        ]
        for (search, key, words) in cases {
            let error = refusal(search)
            #expect(error?.key == key && error?.reason.contains(words) == true, "\(search) → \(String(describing: error))")
        }
    }

    @Test func aPlainRunParseRefusesASearchSectionSayingWhatItIs() throws {
        #expect {
            try RunConfigParser().parse(yaml: Self.base + Self.asha, file: "s.yaml", baseDirectory: "/tmp")
        } throws: { error in
            (error as? RunConfigError)?.key == "search" && "\(error)".contains("experiment")
        }
    }
}
