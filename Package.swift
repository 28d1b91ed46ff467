// swift-tools-version: 6.0
// crnn-cluster: train CRNN text recognizers on a cluster of CPU machines.
//
// Layout (README.md, "Layout"):
//   Vocabulary  the names every module shares (direction, presets, codecs, update rules), once
//   Engine      tensors over OpenBLAS, layers, CRNN, CTC, optimisers, checkpoint format
//   TextImages  charsets, fonts, FreeType renderer, PNG/JPEG I/O, datasets
//   Store       PostgreSQL: libpq wrapper, local cluster, migrations, runs/shards/metrics
//   Wire        what both ends of the parameter-server protocol share: frames, gradient codecs
//   Coordinator scheduler + parameter server;  Worker  the shard loop and PS client
//   crnnctl, crnn-coordinator, crnn-worker: thin executables over the libraries
import PackageDescription

/// A C library from a Debian `-dev` package, found through pkg-config.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt(apt)])
}

/// The numeric and rendering kernels are optimised in debug builds too: the test suite trains
/// real models end to end, which unoptimised Swift would make several times slower.
let optimisedKernels: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "crnn-cluster",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "crnnctl", targets: ["crnnctl"]),
        .executable(name: "crnn-coordinator", targets: ["crnn-coordinator"]),
        .executable(name: "crnn-worker", targets: ["crnn-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        systemLibrary("CBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: ["libzstd-dev"]),
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: ["libfreetype-dev"]),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: ["libpng-dev"]),
        systemLibrary("CPQ", pkgConfig: "libpq", apt: ["libpq-dev"]),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: ["libturbojpeg0-dev"]),
        systemLibrary("CLMDB", pkgConfig: "lmdb", apt: ["liblmdb-dev"]),

        .target(name: "Vocabulary"),
        .target(name: "Plots"),
        .target(name: "Engine", dependencies: ["Vocabulary", "CBLAS", "CZstd"], swiftSettings: optimisedKernels),
        .target(name: "TextImages", dependencies: ["Vocabulary", "CFreeType", "CPNG", "CTurboJPEG"], swiftSettings: optimisedKernels),
        .target(name: "Inference", dependencies: ["Engine", "TextImages"]),
        .target(name: "DatasetImport", dependencies: ["TextImages", "CLMDB"]),
        // `crnnctl export` and `import-torch`: ONNX (message code generated once from onnx.proto by
        // tools/onnx/generate-swift) and PyTorch state dicts.
        .target(
            name: "ModelExchange",
            dependencies: ["Engine", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: optimisedKernels),
        .target(
            name: "Store",
            dependencies: [
                "Vocabulary",
                "CPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "Wire",
            dependencies: [
                "Vocabulary",
                "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimisedKernels),

        .target(name: "Training", dependencies: ["Engine", "TextImages", "Store", "Wire"]),
        .target(
            name: "Coordinator",
            dependencies: [
                "Vocabulary", "Training", "Inference", "Store", "Wire", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .target(
            name: "Worker",
            dependencies: [
                "Training", "Store", "Wire", "CommandLineSupport", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),

        // What `crnnctl bench` measures (codecs, training steps, the parameter server), kept out
        // of the libraries the daemons run.
        .target(
            name: "Benchmarks",
            dependencies: [
                "Engine", "Wire", "Coordinator", "Training", "Store",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .target(
            name: "CommandLineSupport",
            dependencies: ["Store", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Prometheus metrics of the daemons and the endpoint that serves them (`--metrics`).
        .target(
            name: "Telemetry",
            dependencies: [
                "Wire",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),

        // `crnnctl ui`: the pages (runs, a run, read an image), served by Hummingbird, reading PostgreSQL.
        .target(
            name: "WebUI",
            dependencies: [
                "Store", "Plots", "Inference", "Training", "TextImages", "Engine", "Wire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),

        .executableTarget(
            name: "crnnctl",
            dependencies: [
                "Store", "Engine", "TextImages", "Inference", "Wire", "Training", "Coordinator", "CommandLineSupport", "Benchmarks", "Plots", "WebUI",
                "DatasetImport", "ModelExchange",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "crnn-coordinator",
            dependencies: [
                "Store", "Coordinator", "Training", "Wire", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "crnn-worker",
            dependencies: [
                "Store", "Worker", "Wire", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        .testTarget(name: "EngineTests", dependencies: ["Engine"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ModelExchangeTests",
            dependencies: ["ModelExchange", "Engine", "Inference", "TextImages", "Vocabulary",
                           .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]),
        .target(name: "TestSupport", dependencies: ["Store"], path: "Tests/TestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "TextImagesTests", dependencies: ["TextImages"], exclude: ["Fixtures"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Engine", "TextImages"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Engine", "Store", "Training", "Wire", "TestSupport"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Worker", "Training", "TestSupport", "Vocabulary"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Coordinator", "Training", "TestSupport"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots"]),
        .testTarget(name: "WebUITests", dependencies: ["WebUI", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Coordinator", "Engine", "Training", "Wire",
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Store", "TextImages"]),
        .testTarget(name: "DatasetImportTests", dependencies: ["DatasetImport", "TextImages"], exclude: ["Fixtures"]),
        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", "Benchmarks", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(
            name: "crnnctlTests",
            dependencies: ["Store", "TestSupport", "Engine", "TextImages", "CPNG", "CTurboJPEG"]),
    ],
    swiftLanguageModes: [.v5]
)
