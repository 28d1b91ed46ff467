import Engine
import Foundation
import Store
import Testing
import Wire
@testable import Coordinator

@Suite struct ParameterServerCoreTests {
    let tinyConfig = ModelConfig(channels: [4, 8, 8, 8, 8, 8, 8], head: .gru, hidden: 4, classes: 5)

    func makeCore(bound: Int = 2, policy: StalenessPolicy = .refuse, lr: Float = 0.5) -> ParameterServerCore {
        let model = CRNNModel(config: tinyConfig, seed: 3)
        return ParameterServerCore(
            model: model, optimizer: SGD(layout: model.parameters.layout),
            schedule: LearningRateSchedule(baseRate: lr),
            staleness: StalenessRule(bound: bound, policy: policy), samplesPerEpoch: 100)
    }

    /// A wire gradient: every parameter entry `g`, every running-statistic entry `d`.
    func payload(_ core: ParameterServerCore, g: Float, d: Float) throws -> [UInt8] {
        let values = [Float](repeating: g, count: core.parameterCount)
            + [Float](repeating: d, count: core.wireCount - core.parameterCount)
        return try FP32ZstdCodec().encode(values, layout: core.wireLayout)
    }

    func apply(_ core: ParameterServerCore, _ bytes: [UInt8], base: UInt64) throws -> PushOutcome {
        try bytes.withUnsafeBytes { try core.apply(payload: $0, codec: FP32ZstdCodec(), baseVersion: base, sampleCount: 8) }
    }

    @Test func appliesAPushAsOneSGDStepAndAddsTheStatisticsChange() throws {
        let core = makeCore()
        let before = core.model.parameters.values, statsBefore = core.model.buffers.values
        let outcome = try apply(core, try payload(core, g: 0.1, d: 0.25), base: 0)
        #expect(outcome == PushOutcome(applied: true, newVersion: 1, staleness: 0, weight: 1, reason: ""))
        let after = core.model.parameters.values
        #expect(zip(before, after).allSatisfy { abs(($0 - 0.5 * 0.1) - $1) < 1e-6 })
        #expect(zip(statsBefore, core.model.buffers.values).allSatisfy { abs($0 + 0.25 - $1) < 1e-6 })
        #expect(core.samplesApplied == 8)
    }

    @Test func refusesPushesStalerThanTheBound() throws {
        let core = makeCore(bound: 2, policy: .refuse)
        let bytes = try payload(core, g: 0.01, d: 0)
        for base in 0..<3 { _ = try apply(core, bytes, base: UInt64(base)) }
        #expect(core.version == 3)
        let before = core.model.parameters.values
        let stale = try apply(core, bytes, base: 0)
        #expect(!stale.applied && stale.staleness == 3 && stale.newVersion == 3)
        #expect(stale.reason.contains("stale"))
        #expect(core.model.parameters.values == before, "a refused push changes nothing")
        let fresh = try apply(core, bytes, base: 1)
        #expect(fresh.applied && fresh.staleness == 2)
    }

    @Test func downweightsStalePushesWhenConfigured() throws {
        let core = makeCore(bound: 1, policy: .downweight, lr: 1)
        let bytes = try payload(core, g: 0.1, d: 0)
        for base in 0..<4 { _ = try apply(core, bytes, base: UInt64(base)) }
        let before = core.model.parameters.values
        let outcome = try apply(core, bytes, base: 0)  // 4 behind, bound 1: weight 1/4
        #expect(outcome.applied && outcome.weight == 0.25)
        // SGD without momentum: p -= lr * weight * g.
        #expect(zip(before, core.model.parameters.values).allSatisfy { abs(($0 - 0.025) - $1) < 1e-6 })
    }

    @Test func refusesABaseFromTheFutureAndMalformedPayloads() throws {
        let core = makeCore()
        let future = try apply(core, try payload(core, g: 0, d: 0), base: 9)
        #expect(!future.applied && future.reason.contains("newer"))
        #expect(throws: (any Error).self) { _ = try apply(core, [1, 2, 3], base: 0) }
        #expect(core.version == 0)
    }

    @Test func parameterEncodingIsCachedPerVersionAndLossless() throws {
        let core = makeCore()
        var encodings = 0
        let encode: ([Float]) throws -> [UInt8] = { values in
            encodings += 1
            return try FP32ZstdCodec().encode(values, layout: [values.count])
        }
        let pulls = PullAnswers(core: core)
        let first = try pulls.parameters(encode: encode)
        _ = try pulls.parameters(encode: encode)
        #expect(encodings == 1)
        var decoded = [Float](repeating: 0, count: core.wireCount)
        try FP32ZstdCodec().decode(first.bytes, into: &decoded)
        #expect(decoded == core.model.parameters.values + core.model.buffers.values)
        _ = try apply(core, try payload(core, g: 0.1, d: 0), base: 0)
        #expect(try pulls.parameters(encode: encode).version == 1)
        // A client holding the current version is told so, without parameters.
        let unchanged = try pulls.answer(sinceVersion: 1)
        #expect(unchanged.encoding == .unchanged && unchanged.version == 1)
        #expect(try pulls.answer(sinceVersion: 0).encoding == .fp32Zstd)
        #expect(encodings == 2)
        // A client claiming a version the server never reached is refused, not told "unchanged".
        #expect {
            _ = try pulls.answer(sinceVersion: 7)
        } throws: { "\($0)" == "pull since version 7, but this server is at version 1: the client's parameters are not this server's (reconnect and pull them whole)" }
        #expect(try pulls.answer(sinceVersion: Pull.none).version == 1, "the server still answers")
    }
}

@Suite struct AdvertisedAddressTests {
    @Test func wildcardListensAdvertiseTheHostName() {
        #expect(CoordinatorDaemon.defaultAdvertisedAddress(host: "127.0.0.1", port: 7070) == "127.0.0.1:7070")
        let wildcard = CoordinatorDaemon.defaultAdvertisedAddress(host: "0.0.0.0", port: 7070)
        #expect(wildcard == "\(ProcessInfo.processInfo.hostName):7070")
        #expect(!wildcard.hasPrefix("0.0.0.0"))
    }

    /// Sharded parameter servers publish every shard's address, in shard order.
    @Test func shardsAdvertiseOneAddressEach() throws {
        var settings = CoordinatorSettings(database: .url("postgresql:///x"), token: try SharedToken("t"))
        settings.listenPort = 7070
        #expect(CoordinatorDaemon.advertisedAddresses(settings: settings, ports: [7070]) == "127.0.0.1:7070")
        #expect(CoordinatorDaemon.advertisedAddresses(settings: settings, ports: [7070, 7071, 7072])
                == "127.0.0.1:7070,127.0.0.1:7071,127.0.0.1:7072")
        settings.advertise = "ps.example:9000"
        #expect(CoordinatorDaemon.advertisedAddresses(settings: settings, ports: [7070, 7071]) == "ps.example:9000,ps.example:9001")
        settings.listenPort = 0
        #expect(CoordinatorDaemon.advertisedAddresses(settings: settings, ports: [41000, 42123]) == "ps.example:9000,ps.example:42123")
    }
}

/// Issue 12, item 6: pushes that would poison a run are refused, and an update whose mean is
/// not finite is dropped; the parameters stay finite and training continues.
@Suite struct PoisonedPushTests {
    let config = ModelConfig(channels: [4, 8, 8, 8, 8, 8, 8], head: .gru, hidden: 4, classes: 5)

    func makeCore() -> ParameterServerCore {
        let model = CRNNModel(config: config, seed: 3)
        return ParameterServerCore(
            model: model, optimizer: SGD(layout: model.parameters.layout),
            schedule: LearningRateSchedule(baseRate: 0.5), staleness: StalenessRule(bound: 4, policy: .downweight),
            samplesPerEpoch: 100, maxSamplesPerPush: 8)
    }

    func push(_ core: ParameterServerCore, _ values: [Float], codec: any GradientCodec, samples: Int = 8) throws -> PushOutcome {
        let bytes = try codec.encode(values, layout: core.wireLayout)
        return try bytes.withUnsafeBytes { try core.apply(payload: $0, codec: codec, baseVersion: core.version, sampleCount: samples) }
    }

    @Test func nonFiniteValuesAndHugeSampleClaimsAreRefused() throws {
        let core = makeCore()
        let before = core.model.parameters.values
        // Our encoders refuse non-finite values; a crafted payload decodes to them anyway.
        let dense = try [UInt8]([1]).withUnsafeBytes {
            try core.apply(payload: $0, codec: OverflowingDenseCodec(), baseVersion: core.version, sampleCount: 8)
        }
        #expect(!dense.applied && dense.reason.contains("non-finite"), "\(dense.reason)")
        let claim = try push(core, [Float](repeating: 0.01, count: core.wireCount), codec: FP32ZstdCodec(), samples: Int(UInt32.max))
        #expect(!claim.applied && claim.reason.contains("4294967295 samples"), "\(claim.reason)")
        #expect(core.model.parameters.values == before && core.version == 0 && core.samplesApplied == 0)

        // A sparse codec adds into the update in place (top-k's fp16 values times a crafted
        // 2^200 tensor scale overflow there): the whole update is dropped.
        let sparse = try [UInt8]([1]).withUnsafeBytes {
            try core.apply(payload: $0, codec: OverflowingSparseCodec(), baseVersion: core.version, sampleCount: 8)
        }
        #expect(!sparse.applied && sparse.reason.contains("dropped"), "\(sparse.reason)")
        #expect(core.model.parameters.values.allSatisfy(\.isFinite) && core.version == 0)

        let good = try push(core, [Float](repeating: 0.01, count: core.wireCount), codec: FP32ZstdCodec())
        #expect(good.applied && core.version == 1 && core.samplesApplied == 8, "training goes on")
    }
}

/// A dense codec whose decoding overflows (fp16 values times a crafted 2^200 scale).
private struct OverflowingDenseCodec: GradientCodec {
    var name: String { "overflowing-dense" }
    func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8] { [1] }
    func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws {
        output.update(repeating: 0.01)
        output[3] = Float(65504) * Float(sign: .plus, exponent: 100, significand: 1) * Float(sign: .plus, exponent: 100, significand: 1)
    }
}

/// A sparse codec whose decoding overflows, as top-k's does for a payload with a crafted scale.
private struct OverflowingSparseCodec: GradientCodec {
    var name: String { "overflowing" }
    var decodesSparsely: Bool { true }
    func encode(gradient: UnsafeBufferPointer<Float>, layout: [Int]) throws -> [UInt8] { [1] }
    func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) throws {
        output.update(repeating: 0)
        output[3] = Float(65504) * Float(sign: .plus, exponent: 100, significand: 1) * Float(sign: .plus, exponent: 100, significand: 1)
    }
    func decode(_ bytes: UnsafeRawBufferPointer, scaledBy scale: Float, addingTo accumulator: UnsafeMutableBufferPointer<Float>) throws {
        accumulator[3] += scale * .infinity
    }
}
