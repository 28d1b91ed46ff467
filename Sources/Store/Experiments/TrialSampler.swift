import Foundation

/// A value a trial gives one run-config key: what `--set key=value` receives and what
/// `experiment_trials.parameters` shows (a JSON number or string).
public enum TrialValue: Codable, Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case integer(Int)
    /// A choice's YAML scalar as written.
    case text(String)

    /// The value as YAML text for `ConfigOverrides`.
    public var description: String {
        switch self {
        case .number(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .text(let text): return text
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) { self = .integer(integer) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .text(let text):
            // A numeric choice (`0.5`) is a number in JSON, so SQL can compare it.
            if let number = Double(text), number.isFinite { try container.encode(number) } else { try container.encode(text) }
        }
    }
}

/// One trial: the run-config values it sets, in the spec's parameter order.
public struct Trial: Equatable, Sendable {
    /// 1-based, in the order the trials were drawn.
    public let number: Int
    public let values: [(key: String, value: TrialValue)]

    /// `key=value` for each parameter: `RunConfigParser` applies them like `--set`.
    public var overrides: [String] { values.map { "\($0.key)=\($0.value)" } }

    /// The values as a JSON object (keys sorted), for `trial_runs.parameters`.
    public func parametersJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let object = Dictionary(values.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        return String(decoding: try encoder.encode(object), as: UTF8.self)
    }

    public static func == (a: Trial, b: Trial) -> Bool {
        a.number == b.number && a.values.map(\.key) == b.values.map(\.key) && a.values.map(\.value) == b.values.map(\.value)
    }
}

/// The trials of a search, as a pure function of its spec: a grid is every combination (the first
/// parameter varying slowest); random and ASHA draw `trials` times from the ranges with SplitMix64
/// seeded by `spec.seed`, so the same spec always gives the same trials.
public enum TrialSampler {
    /// Most trials one search may make (a grid multiplies fast).
    public static let maxTrials = 1000

    public static func trials(_ spec: SearchSpec) -> [Trial] {
        switch spec.method {
        case .grid:
            var combinations: [[(key: String, value: TrialValue)]] = [[]]
            for parameter in spec.parameters {
                let values = gridValues(parameter.range)
                combinations = combinations.flatMap { prefix in values.map { prefix + [(parameter.key, $0)] } }
            }
            return combinations.enumerated().map { Trial(number: $0 + 1, values: $1) }
        case .random, .asha:
            var generator = SplitMix64(seed: UInt64(bitPattern: spec.seed))
            return (1...max(1, spec.trials)).map { number in
                Trial(number: number, values: spec.parameters.map { ($0.key, draw($0.range, &generator)) })
            }
        }
    }

    /// How many trials a grid over `parameters` makes (nil when it overflows).
    public static func gridSize(_ parameters: [SearchSpec.Parameter]) -> Int? {
        var size = 1
        for parameter in parameters {
            let product = size.multipliedReportingOverflow(by: gridValues(parameter.range).count)
            guard !product.overflow else { return nil }
            size = product.partialValue
        }
        return size
    }

    static func gridValues(_ range: SearchSpec.Range) -> [TrialValue] {
        switch range {
        case let .logUniform(low, high, points):
            let n = max(points ?? 1, 1)
            if n == 1 { return [.number(rounded((low * high).squareRoot()))] }
            return (0..<n).map { .number(rounded(low * pow(high / low, Double($0) / Double(n - 1)))) }
        case let .uniform(low, high, points):
            let n = max(points ?? 1, 1)
            if n == 1 { return [.number(rounded((low + high) / 2))] }
            return (0..<n).map { .number(rounded(low + (high - low) * Double($0) / Double(n - 1))) }
        case let .int(low, high):
            return (low...high).map { .integer($0) }
        case .choice(let options):
            return options.map { .text($0) }
        }
    }

    static func draw(_ range: SearchSpec.Range, _ generator: inout SplitMix64) -> TrialValue {
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        switch range {
        case let .logUniform(low, high, _):
            return .number(rounded(exp(log(low) + unit * (log(high) - log(low)))))
        case let .uniform(low, high, _):
            return .number(rounded(low + unit * (high - low)))
        case let .int(low, high):
            let span = UInt64(high - low) + 1
            return .integer(low + Int(generator.next() % span))
        case .choice(let options):
            return .text(options[Int(generator.next() % UInt64(options.count))])
        }
    }

    /// Four significant digits: trials read `0.003162`, not `0.0031622776601683794`.
    static func rounded(_ value: Double) -> Double {
        guard value != 0, value.isFinite else { return value }
        return Double(String(format: "%.4g", value)) ?? value
    }
}
