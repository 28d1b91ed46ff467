import Engine
import Foundation
import Store
import Testing
import TestSupport
import Training
@testable import Wire

extension EndToEnd {
    /// Issue 12, item 6, as an attacker holding the token would do it: pushes whose fp16 values
    /// overflow once multiplied by a crafted tensor scale (2^200), and a push claiming 2^32 − 1
    /// samples. They used to make every parameter NaN (the run never finished) and move the
    /// schedule to its end. Now they are refused and the run trains as usual.
    @Suite struct PoisonedRunTests {
        @Test func poisonedPushesAreRefusedAndTheRunStillLearns() async throws {
            let cluster = try Cluster()
            let yaml = """
                model: tiny
                charset: digits
                image: {height: 32, width: 128}
                data: {synthetic: {samples_per_epoch: 9600}}
                epochs: 4
                shard_size: 640
                batch_size: 32
                optimizer: {type: adam, lr: 0.005}
                gradients: {codec: fp16+zstd}
                validation: {size: 300, every: 100}
                seed: 11
                """
            let run = try cluster.submit(yaml: yaml)
            try cluster.startCoordinator()
            #expect(try await waitUntil(timeout: 60) { cluster.coordinator?.log.contains("run \(run): training tiny") == true })
            let address = try #require(try await waitUntil(timeout: 60) {
                try cluster.query("SELECT ps_address FROM runs WHERE id = $1", [run]).string(0, 0) != nil
            } ? cluster.query("SELECT ps_address FROM runs WHERE id = $1", [run]).string(0, 0) : nil)
            let port = try #require(address.split(separator: ":").last.flatMap { Int($0) })

            // The attacker's client: the right token, a crafted payload.
            let config = ModelPreset.tiny.config(classes: 11)
            let layout = WireArena.layout(of: CRNNModel(config: config))
            let rogue = try await PSClient.connect(host: "127.0.0.1", port: port, token: try SharedToken(cluster.token),
                                                   clientName: "rogue", runID: UInt64(run))
            let version = try await rogue.pull().version
            let overflowing = Self.fp16Payload(layout: layout, scaleExponent: -200)
            let poisoned = try await rogue.push(baseVersion: version, sampleCount: 32, loss: 1, codecName: "fp16+zstd",
                                                payload: overflowing)
            #expect(poisoned.status == .refused && poisoned.reason.contains("non-finite"), "\(poisoned.reason)")
            let huge = try await rogue.push(baseVersion: version, sampleCount: UInt32.max, loss: 1, codecName: "fp16+zstd",
                                            payload: Self.fp16Payload(layout: layout, scaleExponent: 20))
            #expect(huge.status == .refused && huge.reason.contains("4294967295 samples"), "\(huge.reason)")
            await rogue.bye()

            try cluster.startWorker()
            let finished = try await waitUntil(timeout: 300, interval: 1) {
                let state = try cluster.runState(run)
                return state != "running" && state != "queued"
            }
            let state = try cluster.runState(run)
            #expect(finished && state == "completed", "\(cluster.logs)")
            let best = try cluster.query(
                "SELECT max(value) FROM metrics WHERE run_id = $1 AND name = 'val_accuracy'", [run]).double(0, 0) ?? 0
            #expect(best >= 0.5, "best validation accuracy \(best)\n\(cluster.logs)")
            // The schedule and the sample count saw only honest pushes.
            let samples = try cluster.query(
                "SELECT sum(value) FROM metrics WHERE run_id = $1 AND name = 'worker_samples'", [run]).double(0, 0) ?? 0
            #expect(samples == 38_400, "samples \(samples)")
            cluster.stopAll()
        }

        /// An fp16+zstd payload of 1.0 halves for every value with the given per-tensor scale
        /// exponent (a decoded value is half · 2^−e: e = −200 overflows to ∞ in fp32).
        static func fp16Payload(layout: [Int], scaleExponent: Int64) -> [UInt8] {
            let count = layout.reduce(0, +)
            var bytes = [UInt8]()
            appendCodecHeader(format: .denseFP16, count: count, layout: layout, to: &bytes)
            for _ in layout { appendSignedVarint(scaleExponent, to: &bytes) }
            let halves = [UInt16](repeating: 0x3C00, count: count)
            let planes = halves.withUnsafeBufferPointer(splitBytePlanes)
            bytes += planes.withUnsafeBytes { Zstd.compress($0) }
            return bytes
        }
    }
}
