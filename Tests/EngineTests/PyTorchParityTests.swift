// The engine against the PyTorch twin: fixtures written by tools/fixtures/make_fixtures.py
// (float64 PyTorch from float32-representable weights and inputs, format described in that script).
//
// Tolerances (float32 engine vs float64 reference), per element:
//   logits, eval logits, BN buffers   |a − e| ≤ 1e-4 + 1e-3·|e|
//   loss                              relative 1e-4
//   gradients                         |a − e| ≤ 1e-4·max|e of that tensor| + 1e-3·|e|
//     (scaled by the tensor's largest value, since a tensor's gradients are sums of float32
//      products of its own magnitude; a fixed 1e-4 would be meaningless on tensors near 1e-6),
//     plus a floor of 1e-6: conv5/conv6 biases feed batch norm, so their exact gradient is 0 and
//     the reference holds ~1e-17 round-off against float32's ~1e-9)
//   10 SGD-momentum and 10 Adam losses  relative 1e-3
import Foundation
import Testing
@testable import Engine

/// One fixture file, decoded loosely from JSON.
struct Fixture {
    let json: [String: Any]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json")
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    var config: ModelConfig {
        let c = json["config"] as! [String: Any]
        return ModelConfig(channels: c["channels"] as! [Int], head: RecurrentHead(rawValue: c["head"] as! String)!,
                           hidden: c["hidden"] as! Int, classes: c["classes"] as! Int)
    }

    func floats(_ value: Any?) -> [Float] { ((value as! [String: Any])["data"] as! [Double]).map(Float.init) }
    func doubles(_ value: Any?) -> [Double] { (value as! [String: Any])["data"] as! [Double] }
    func tensors(_ key: String) -> [String: Any] { json[key] as! [String: Any] }

    var images: [Float] { floats(json["input"]) }
    var targets: [[Int]] { json["targets"] as! [[Int]] }

    /// Loads the initial parameters and buffers into `model`.
    func reset(_ model: CRNNModel) {
        for (name, value) in tensors("params") { model.parameters[name].update(fromContentsOf: floats(value)) }
        for (name, value) in tensors("buffers") { model.buffers[name].update(fromContentsOf: floats(value)) }
    }
}

/// The worst of |a − e| / (abs + rel·|e|) over the elements (≤ 1 passes).
func worstRatio(_ a: [Float], _ e: [Double], abs absTol: Double, rel: Double) -> Double {
    precondition(a.count == e.count, "sizes differ: \(a.count) vs \(e.count)")
    return zip(a, e).map { Swift.abs(Double($0) - $1) / (absTol + rel * Swift.abs($1)) }.max() ?? 0
}

@Suite struct PyTorchParityTests {
    static let names = ["seed_tiny", "paper_tiny"]

    /// Convolutions by Winograd wherever possible (1) or never (Int.max).
    static let winograd = [1, Int.max]

    func model(_ f: Fixture, winogradMinimumChannels: Int = 1) -> CRNNModel {
        let m = CRNNModel(config: f.config, seed: 1)
        m.winogradMinimumChannels = winogradMinimumChannels
        f.reset(m)
        return m
    }

    @Test(arguments: names, winograd)
    func forwardLossGradientsAndBuffers(name: String, winogradMinimumChannels: Int) throws {
        let f = try Fixture(name)
        let m = model(f, winogradMinimumChannels: winogradMinimumChannels)
        #expect(m.parameters.layout.slices.map(\.name) == (f.json["params"] as! [String: Any]).keys.sorted {
            m.parameters.layout[$0]!.offset < m.parameters.layout[$1]!.offset })
        let loss = try m.trainStep(images: f.images, targets: f.targets)
        let expectedLoss = f.json["loss"] as! Double
        #expect(abs(Double(loss) - expectedLoss) <= 1e-4 * expectedLoss, "loss \(loss) vs \(expectedLoss)")
        #expect(worstRatio(m.lastLogits(), f.doubles(f.json["logits"]), abs: 1e-4, rel: 1e-3) <= 1)
        for slice in m.parameters.layout.slices {
            let expected = f.doubles(f.tensors("grads")[slice.name])
            let scale = expected.map(abs).max() ?? 0
            let ratio = worstRatio(Array(m.gradients[slice.name]), expected, abs: 1e-4 * scale + 1e-6, rel: 1e-3)
            #expect(ratio <= 1, "gradient of \(slice.name): worst ratio \(ratio)")
        }
        for (name, value) in f.tensors("buffers_after") {
            #expect(worstRatio(Array(m.buffers[name]), f.doubles(value), abs: 1e-4, rel: 1e-3) <= 1, "\(name)")
        }
    }

    @Test(arguments: names)
    func evalLogitsUseInitialRunningStatistics(name: String) throws {
        let f = try Fixture(name)
        let m = model(f)
        let n = f.targets.count
        let logits = try m.logits(images: f.images, batch: n)
        #expect(logits.T == (f.json["config"] as! [String: Any])["T"] as! Int)
        #expect(worstRatio(logits.values, f.doubles(f.json["eval_logits"]), abs: 1e-4, rel: 1e-3) <= 1)
    }

    @Test(arguments: names)
    func tenOptimiserStepsFollowTheReference(name: String) throws {
        let f = try Fixture(name)
        let sgd = f.json["sgd"] as! [String: Any], adam = f.json["adam"] as! [String: Any]
        let m = model(f)
        let runs: [(Optimizer, Float, [Double])] = [
            (SGD(layout: m.parameters.layout, momentum: Float(sgd["momentum"] as! Double),
                 weightDecay: Float(sgd["weight_decay"] as! Double)),
             Float(sgd["lr"] as! Double), sgd["losses"] as! [Double]),
            (Adam(layout: m.parameters.layout, beta1: 0.9, beta2: 0.999, eps: Float(adam["eps"] as! Double)),
             Float(adam["lr"] as! Double), adam["losses"] as! [Double]),
        ]
        for (optimizer, lr, expected) in runs {
            f.reset(m)
            var losses: [Double] = []
            for _ in expected.indices {
                losses.append(Double(try m.trainStep(images: f.images, targets: f.targets)))
                optimizer.step(parameters: m.parameters, gradients: m.gradients, learningRate: lr)
            }
            let worst = zip(losses, expected).map { abs($0 - $1) / abs($1) }.max() ?? 0
            #expect(worst <= 1e-3, "\(type(of: optimizer)) losses \(losses) vs \(expected)")
        }
    }
}
