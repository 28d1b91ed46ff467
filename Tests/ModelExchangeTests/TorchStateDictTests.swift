// State dicts in and out: fixtures written by real PyTorch (tools/fixtures/make_torch_fixtures.py),
// bit-exact round trips for every preset, and a clear error for each kind of bad file.
import Crypto
import Engine
import Foundation
import Testing
import Vocabulary
@testable import ModelExchange

/// A fixture's JSON: layout, input, PyTorch's logits, and what PyTorch made of our export.
private struct Fixture: Decodable {
    struct Layout: Decodable { let channels: [Int]; let hidden: Int; let classes: Int; let head: String; let batch_norm: [Bool] }
    struct Values: Decodable { let shape: [Int]; let data: [Float] }
    let layout: Layout
    let input: Values
    let logits: Values
    let export_sha256: String
    let logits_from_export: Values

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load(_ name: String) throws -> (fixture: Fixture, pth: [UInt8]) {
        let json = try Data(contentsOf: folder.appendingPathComponent("\(name).json"))
        let pth = try Data(contentsOf: folder.appendingPathComponent("\(name).pth"))
        return (try JSONDecoder().decode(Fixture.self, from: json), Array(pth))
    }

    var config: ModelConfig {
        ModelConfig(channels: layout.channels, head: RecurrentHead(rawValue: layout.head)!, hidden: layout.hidden,
                    classes: layout.classes, batchNorm: layout.batch_norm)
    }
}

private let digits = (0...9).map(String.init)

@Suite struct TorchStateDictTests {
    static let fixtures = ["seed_tiny", "paper_tiny", "tiny"]

    @Test(arguments: fixtures)
    func aStateDictPyTorchSavedGivesPyTorchsLogits(name: String) throws {
        let (fixture, pth) = try Fixture.load(name)
        let tensors = try TorchStateDict.read(pth)
        let config = try TorchImport.inferredConfig(tensors)
        #expect(config == fixture.config, "the layout read off the shapes")
        let checkpoint = try TorchImport.checkpoint(tensors, preset: nil, config: config, charset: digits,
                                                    direction: .horizontal, imageWidth: 48)
        let model = CRNNModel(config: config)
        model.parameters.load(checkpoint.parameters)
        model.buffers.load(checkpoint.buffers)
        let logits = try model.logits(images: fixture.input.data, batch: fixture.input.shape[0])
        #expect([logits.T, logits.N, logits.K] == fixture.logits.shape)
        let worst = zip(logits.values, fixture.logits.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-5, "\(name): largest relative difference from PyTorch \(worst)")
    }

    @Test(arguments: fixtures)
    func ourExportIsTheFilePyTorchLoadedWithTheSameLogits(name: String) throws {
        let (fixture, pth) = try Fixture.load(name)
        let tensors = try TorchStateDict.read(pth)
        let checkpoint = try TorchImport.checkpoint(tensors, preset: nil, config: try TorchImport.inferredConfig(tensors),
                                                    charset: digits, direction: .horizontal, imageWidth: 48)
        let exported = try TorchStateDict.archive(NamedTensors(checkpoint: checkpoint), name: name)
        let digest = SHA256.hash(data: exported).map { String(format: "%02x", $0) }.joined()
        // The generator loaded exactly these bytes into PyTorch (strict) and recorded its logits.
        #expect(digest == fixture.export_sha256, "the export changed since the fixture was made: rerun make_torch_fixtures.py")
        #expect(fixture.logits_from_export.data == fixture.logits.data)
    }

    @Test(arguments: [ModelPreset.tiny, .small, .paper, .seed], [TextDirection.horizontal, .vertical])
    func swiftToStateDictToSwiftIsBitExact(preset: ModelPreset, direction: TextDirection) throws {
        let original = randomCheckpoint(preset, direction: direction, seed: 7)
        let bytes = try TorchStateDict.archive(NamedTensors(checkpoint: original), name: preset.rawValue)
        let tensors = try TorchStateDict.read(bytes)
        #expect(try TorchImport.inferredConfig(tensors) == original.config)
        let back = try TorchImport.checkpoint(tensors, preset: preset.rawValue, config: original.config,
                                              charset: original.charset, direction: direction, imageWidth: 64)
        #expect(back.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
        #expect(back.buffers.map(\.bitPattern) == original.buffers.map(\.bitPattern))
    }

    @Test func aTruncatedFileIsRefusedAsTruncated() throws {
        let (_, pth) = try Fixture.load("seed_tiny")
        for cut in [pth.count / 2, pth.count - 30, 100] {
            #expect {
                _ = try TorchStateDict.read(Array(pth.prefix(cut)))
            } throws: { error in
                "\(error)".contains("truncated") || "\(error)".contains("not a zip")
            }
        }
        // A storage record cut short inside an otherwise whole archive names its tensor.
        var zip = StoredZipWriter()
        let reader = try StoredZipReader(pth)
        for name in reader.names {
            let record = Array(pth[reader.records[name]!])
            zip.add(name, name.hasSuffix("/data/0") ? Array(record.prefix(10)) : record)
        }
        #expect(throws: TorchStateDictError.tensor(name: "conv1.weight", reason: "shape [4, 1, 3, 3] reaches past its storage of 2 elements (truncated?)")) {
            _ = try TorchStateDict.read(zip.finished())
        }
    }

    @Test func anotherArchitectureMissingAndMisshapenTensorsAreNamed() throws {
        let (_, pth) = try Fixture.load("paper_tiny")
        let tensors = try TorchStateDict.read(pth)
        let seed = ModelPreset.seed.config(classes: 11)
        #expect {
            _ = try TorchImport.checkpoint(tensors, preset: "seed", config: seed, charset: digits, direction: .horizontal, imageWidth: 48)
        } throws: { "\($0)".contains("emb.weight") && "\($0)".contains("another architecture") }

        let (_, seedTiny) = try Fixture.load("seed_tiny")
        let complete = try TorchStateDict.read(seedTiny)
        let config = try TorchImport.inferredConfig(complete)
        let missing = complete.filter { $0.name != "rnn2.weight_hh_l0_reverse" }
        #expect(throws: TorchStateDictError.tensor(name: "rnn2.weight_hh_l0_reverse", reason: "missing: the layout needs it with shape [24, 8]")) {
            _ = try TorchImport.checkpoint(missing, preset: nil, config: config, charset: digits, direction: .horizontal, imageWidth: 48)
        }
        // The seed preset's widths against a file of small widths: the first tensor is named.
        #expect {
            _ = try TorchImport.checkpoint(complete, preset: "seed", config: seed, charset: digits, direction: .horizontal, imageWidth: 48)
        } throws: { "\($0)".contains("tensor conv1.weight: has shape [4, 1, 3, 3], the seed layout needs [64, 1, 3, 3]") }
        // A charset of another size than the output layer.
        #expect {
            _ = try TorchImport.checkpoint(complete, preset: nil, config: config, charset: Array(digits.prefix(5)), direction: .horizontal, imageWidth: 48)
        } throws: { "\($0)".contains("fc.weight") && "\($0)".contains("5 characters") }
        #expect {
            _ = try TorchImport.inferredConfig(complete.filter { $0.name != "conv3.weight" })
        } throws: { "\($0)".contains("tensor conv3.weight: missing") }
        // A NaN among the values (a diverged run's file) is named with its tensor and position.
        let poisoned = complete.map { entry -> (name: String, tensor: NamedTensor) in
            guard entry.name == "bn6.running_var" else { return entry }
            var tensor = entry.tensor
            tensor.values[3] = .nan
            return (entry.name, tensor)
        }
        #expect(throws: TorchStateDictError.tensor(name: "bn6.running_var", reason: "element 3 is nan, not a finite number")) {
            _ = try TorchImport.checkpoint(poisoned, preset: nil, config: config, charset: digits, direction: .horizontal, imageWidth: 48)
        }
    }

    @Test func otherFilesGetTheirOwnErrors() throws {
        #expect(throws: TorchStateDictError.legacyFormat) { _ = try TorchStateDict.read([0x80, 0x02, 0x8A, 0x0A] + [UInt8](repeating: 0, count: 64)) }
        #expect { _ = try TorchStateDict.read(Array("hello, this is not a model".utf8)) } throws: { "\($0)".contains("not a PyTorch zip file") }
        var zip = StoredZipWriter()
        zip.add("archive/data.pkl", [0x80, 0x02, 0xFF, 0x2E])
        #expect { _ = try TorchStateDict.read(zip.finished()) } throws: { "\($0)".contains("unsupported pickle opcode 0xff at offset 2") }
        var list = StoredZipWriter()
        list.add("archive/data.pkl", [0x80, 0x02, 0x5D, 0x2E])  // an empty list
        #expect(throws: TorchStateDictError.notAStateDict("the file holds a list, not a dict")) { _ = try TorchStateDict.read(list.finished()) }
    }

    @Test func hostileSizesAndStreamsFailFastWithAMessage() throws {
        // A tensor claiming 2^93 elements (sizes that overflow when multiplied) over an 8-byte storage.
        var pickle = PickleWriter()
        pickle.beginOrderedDict()
        pickle.tensor(key: "fc.bias", storage: "0", storageType: "FloatStorage", shape: [2_147_483_647, 2_147_483_647, 2_147_483_647],
                      count: 2, strides: [1, 1, 1])
        var zip = StoredZipWriter()
        zip.add("archive/data.pkl", pickle.finished())
        zip.add("archive/data/0", [UInt8](repeating: 0, count: 8))
        #expect { _ = try TorchStateDict.read(zip.finished()) } throws: { "\($0)".contains("tensor fc.bias") && "\($0)".contains("too large") }
        // Broadcast (stride 0) over four billion elements: refused before allocating them.
        var broadcast = PickleWriter()
        broadcast.beginOrderedDict()
        broadcast.tensor(key: "fc.bias", storage: "0", storageType: "FloatStorage", shape: [65_536, 65_536], count: 2, strides: [0, 0])
        var zip2 = StoredZipWriter()
        zip2.add("archive/data.pkl", broadcast.finished())
        zip2.add("archive/data/0", [UInt8](repeating: 0, count: 8))
        #expect { _ = try TorchStateDict.read(zip2.finished()) } throws: { "\($0)".contains("too large") }
        // A memoised list of a million items grown again and again: quadratic work, refused.
        var stream: [UInt8] = [0x80, 0x02, 0x5D, 0x28]
        stream += [UInt8](repeating: 0, count: 2_000_000).enumerated().map { $0.offset % 2 == 0 ? 0x4B : 0x01 }  // BININT1 1
        stream += [0x65, 0x71, 0x00]  // APPENDS, BINPUT 0
        for _ in 0..<300 { stream += [0x68, 0x00, 0x4B, 0x01, 0x61, 0x30] }  // BINGET 0, BININT1 1, APPEND, POP
        stream += [0x2E]
        var hostile = StoredZipWriter()
        hostile.add("archive/data.pkl", stream)
        #expect { _ = try TorchStateDict.read(hostile.finished()) } throws: { "\($0)".contains("too many steps") }
    }

    @Test func aTrainingCheckpointDictAndDataParallelNamesAreUnwrapped() throws {
        // {"epoch": 3, "model": OrderedDict("module.fc.bias" → tensor)}: the shape of files that
        // training scripts save (the original project's too).
        var pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x28]
        func string(_ s: String) { pickle += [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8) }
        string("epoch"); pickle += [0x4B, 3]
        string("model")
        var inner = PickleWriter()
        inner.beginOrderedDict()
        inner.tensor(key: "module.fc.bias", storage: "0", storageType: "FloatStorage", shape: [2], count: 2)
        pickle += inner.finished().dropFirst(2).dropLast()  // without PROTO and STOP
        pickle += [0x75, 0x2E]
        var zip = StoredZipWriter()
        zip.add("checkpoint/data.pkl", pickle)
        zip.add("checkpoint/data/0", [Float(1.5), -2].withUnsafeBytes(Array.init))
        let tensors = try TorchStateDict.read(zip.finished())
        #expect(tensors.map(\.name) == ["fc.bias"])
        #expect(tensors.first?.tensor == NamedTensor(shape: [2], values: [1.5, -2]))
    }
}
