// swift-tools-version: 6.0
// crnn-cluster: train CRNN text recognizers on a cluster of CPU machines.
//
// Layout (see ../shared/ARCHITECTURE.md §2):
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

let package = Package(
    name: "crnn-cluster",
    platforms: [.macOS(.v13)],
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
    ],
    targets: [
        systemLibrary("CBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: ["libzstd-dev"]),
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: ["libfreetype-dev"]),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: ["libpng-dev"]),
        systemLibrary("CPQ", pkgConfig: "libpq", apt: ["libpq-dev"]),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: ["libturbojpeg0-dev"]),

        .target(name: "Engine", dependencies: ["CBLAS", "CZstd"]),
        .target(
            name: "Store",
            dependencies: ["CPQ", .product(name: "Logging", package: "swift-log")]),

        .executableTarget(
            name: "crnnctl",
            dependencies: [
                "Store", "Engine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "crnn-coordinator",
            dependencies: [
                "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "crnn-worker",
            dependencies: [
                "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Fixtures are read from the source tree (#filePath), so they are not bundled.
        .testTarget(name: "EngineTests", dependencies: ["Engine"], exclude: ["Fixtures"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
    ],
    swiftLanguageModes: [.v5]
)
