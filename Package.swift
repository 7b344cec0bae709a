// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target shares (swift-nio's "standard cross-repo settings").
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "medflow",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MedFlow", targets: ["MedFlow"]),
        // The stages on their own, for the fuzz targets in Fuzz/ (a separate package) …
        .library(name: "FlowModel", targets: ["FlowModel"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Detect", targets: ["Detect"]),
        // … and for the stage benchmarks in Benchmarks/.
        .library(name: "Flows", targets: ["Flows"]),
        .library(name: "Output", targets: ["Output"]),
        .library(name: "Synth", targets: ["Synth"]),
        .executable(name: "medflow", targets: ["medflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CLZO", pkgConfig: "lzo2", providers: [.apt(["liblzo2-dev"])]),
        .systemLibrary(name: "CBZ2", providers: [.apt(["libbz2-dev"])]),  // libbz2 ships no .pc file

        // MARK: - C helpers
        .target(name: "CPrefetch"),
        .target(name: "CMalloc"),
        .target(name: "CMemory"),
        .target(name: "CThread"),

        // MARK: - Stages
        .target(name: "FlowModel", swiftSettings: swiftSettings),
        .target(name: "Ingest", dependencies: ["FlowModel", "CPrefetch", "CMemory", "CPcap", "CZstd", "CLZ4", "CLZO", "CBZ2"], swiftSettings: swiftSettings),
        // The flow table is a final class touched per packet by one worker at a time: its dynamic
        // exclusivity checks (a thread-local lookup per property access) cost ~4 % of a bulk run.
        .target(
            name: "Flows",
            dependencies: ["FlowModel", "CPrefetch", "CMemory"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(name: "Output", dependencies: ["FlowModel", "CZstd", "CLZ4"], swiftSettings: swiftSettings),
        .target(
            name: "Detect",
            dependencies: ["FlowModel", "CPrefetch", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Synth", dependencies: ["FlowModel", "Output"], swiftSettings: swiftSettings),
        .target(
            name: "MedFlow",
            dependencies: ["FlowModel", "Ingest", "Flows", "Detect", "Synth", "Output", "CMalloc", "CThread"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "medflow",
            dependencies: ["MedFlow", "Synth", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .testTarget(name: "FlowModelTests", dependencies: ["FlowModel"], swiftSettings: swiftSettings),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "FlowModel", "CZstd", "CLZ4", "CPcap", "CLZO", "CBZ2"], swiftSettings: swiftSettings),
        .testTarget(name: "FlowsTests", dependencies: ["Flows", "FlowModel", "CPrefetch"], swiftSettings: swiftSettings),
        .testTarget(name: "DetectTests", dependencies: ["Detect", "Flows", "FlowModel"], swiftSettings: swiftSettings),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "FlowModel", "Output"], swiftSettings: swiftSettings),
        .testTarget(name: "OutputTests", dependencies: ["Output", "FlowModel", "CZstd", "CLZ4"], swiftSettings: swiftSettings),
        .testTarget(
            name: "MedFlowTests",
            dependencies: ["MedFlow", "Ingest", "Flows", "Detect", "Synth", "Output", "FlowModel", "CThread"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
