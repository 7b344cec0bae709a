// swift-tools-version: 6.1
import PackageDescription
import struct Foundation.URL

/// The root package's identity is its directory name, not `Package(name:)`.
let rootPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

/// The libFuzzer targets, one executable per parser. Each defines `LLVMFuzzerTestOneInput`; libFuzzer
/// supplies `main`. Build them with the sanitizer flags (see the root Makefile's `fuzz` target):
///
///     swift build -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
let fuzzTargets: [(name: String, products: [String])] = [
    ("FuzzPcap", ["Ingest", "FlowModel"]),
    ("FuzzPcapng", ["Ingest", "FlowModel"]),
    ("FuzzPacketDecoder", ["Ingest", "FlowModel"]),
    ("FuzzDNS", ["Ingest"]),
    ("FuzzFlowExport", ["Ingest", "FlowModel"]),
    ("FuzzDatagramFile", ["Ingest", "FlowModel"]),
    ("FuzzNfdumpFile", ["Ingest", "FlowModel"]),
    ("FuzzNfdumpBlock", ["Ingest", "FlowModel"]),
    ("FuzzPolicyYAML", ["Detect", "FlowModel"]),
    ("FuzzMUDJSON", ["Detect", "FlowModel"]),
    ("FuzzZstd", ["Ingest"]),
    ("FuzzLZ4", ["Ingest"]),
]

let package = Package(
    name: "MedFlowFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
    ],
    targets: [
        // Harness code the targets share: temporary files, datagram splitting, draining readers.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "Ingest", package: rootPackage),
                .product(name: "FlowModel", package: rootPackage),
            ]
        ),
    ] + fuzzTargets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: ["FuzzSupport"] + target.products.map { .product(name: $0, package: rootPackage) }
        )
    },
    swiftLanguageModes: [.v6]
)
