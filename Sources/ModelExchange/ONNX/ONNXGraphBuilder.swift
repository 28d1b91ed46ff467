// Builds an ONNX graph one node at a time: initialisers from float arrays, nodes with their
// attributes, fresh value names. Knows ONNX, not the CRNN (ONNXExport.swift does that).
import Foundation
import SwiftProtobuf

/// An attribute value of a node.
enum ONNXAttribute {
    case int(Int)
    case ints([Int])
    case float(Float)
    case string(String)
}

/// A graph under construction.
struct ONNXGraphBuilder {
    private(set) var graph = Onnx_GraphProto()
    private var counter = 0

    /// ONNX's element type codes (TensorProto.DataType).
    enum ElementType: Int32 {
        case float = 1
        case int64 = 7
    }

    init(name: String) { graph.name = name }

    /// Adds a float initialiser (little-endian raw data) and returns its name.
    mutating func initializer(_ name: String, shape: [Int], values: [Float]) -> String {
        precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = ElementType.float.rawValue
        // raw_data is little-endian, as is every host this builds for (x86-64, arm64).
        tensor.rawData = values.withUnsafeBytes { Data($0) }
        graph.initializer.append(tensor)
        return name
    }

    /// Adds a one-dimensional int64 initialiser (shapes, axes) and returns its name.
    mutating func int64Initializer(_ name: String, _ values: [Int]) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = [Int64(values.count)]
        tensor.dataType = ElementType.int64.rawValue
        tensor.int64Data = values.map(Int64.init)
        graph.initializer.append(tensor)
        return name
    }

    /// Adds a node; returns the names of its outputs (`outputs` of them, named after `name`).
    @discardableResult
    mutating func node(_ opType: String, _ inputs: [String], name: String, outputs: Int = 1,
                       attributes: [String: ONNXAttribute] = [:]) -> [String] {
        counter += 1
        var node = Onnx_NodeProto()
        node.opType = opType
        node.name = "\(name)_\(counter)"
        node.input = inputs
        node.output = outputs == 1 ? [name] : (0..<outputs).map { "\(name)_\($0)" }
        node.attribute = attributes.sorted { $0.key < $1.key }.map { Self.attribute($0.key, $0.value) }
        graph.node.append(node)
        return node.output
    }

    /// Declares a graph input or output: float, with a fixed size or a named (dynamic) one per axis.
    static func valueInfo(_ name: String, dimensions: [Dimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { dimension in
            var d = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .fixed(let size): d.dimValue = Int64(size)
            case .named(let label): d.dimParam = label
            }
            return d
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = ElementType.float.rawValue
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    /// One axis of a declared input or output.
    enum Dimension {
        case fixed(Int)
        case named(String)
    }

    mutating func input(_ name: String, _ dimensions: [Dimension]) {
        graph.input.append(Self.valueInfo(name, dimensions: dimensions))
    }

    mutating func output(_ name: String, _ dimensions: [Dimension]) {
        graph.output.append(Self.valueInfo(name, dimensions: dimensions))
    }

    private static func attribute(_ name: String, _ value: ONNXAttribute) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        switch value {
        case .int(let v): a.type = .int; a.i = Int64(v)
        case .ints(let v): a.type = .ints; a.ints = v.map(Int64.init)
        case .float(let v): a.type = .float; a.f = v
        case .string(let v): a.type = .string; a.s = Data(v.utf8)
        }
        return a
    }
}
