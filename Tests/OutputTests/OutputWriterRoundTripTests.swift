import CLZ4
import CZstd
import Foundation
import Output
import Testing

/// How a test splits its payload into `write` calls.
enum WritePattern: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A small payload, one byte per call.
    case oneByteAtATime
    /// A few MiB in pseudo-random pieces from 1 byte to 300 KB.
    case randomSizes
    /// A few MiB in one call, larger than the writer's buffer.
    case oneBigWrite
    /// Small writes around a write larger than the buffer, so buffered bytes are flushed first.
    case smallBigSmall

    var testDescription: String { rawValue }

    var payload: [UInt8] {
        switch self {
        case .oneByteAtATime: WriterFixtures.text(byteCount: 20_000, seed: 11)
        case .randomSizes, .oneBigWrite, .smallBigSmall: WriterFixtures.large
        }
    }

    /// The sizes of the successive writes; they add up to `payload.count`.
    func chunkSizes(total: Int) -> [Int] {
        switch self {
        case .oneByteAtATime:
            return Array(repeating: 1, count: total)
        case .oneBigWrite:
            return [total]
        case .smallBigSmall:
            return [10, 1000, total - 2010, 1, 999]
        case .randomSizes:
            var state: UInt64 = 42
            var sizes: [Int] = []
            var left = total
            while left > 0 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let size = min(left, 1 + Int(state >> 33) % (state >> 62 == 0 ? 300_000 : 300))
                sizes.append(size)
                left -= size
            }
            return sizes
        }
    }
}

/// Payloads and independent decoders (libzstd, liblz4 and the CLI tools) to check the writer against.
enum WriterFixtures {
    /// About 3 MiB: more than the writer's 1 MiB buffer and several zstd/LZ4 blocks.
    static let large: [UInt8] = text(byteCount: 3_000_000, seed: 7)

    /// Deterministic NDJSON-like lines: compressible, but not trivially.
    static func text(byteCount: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var output: [UInt8] = []
        output.reserveCapacity(byteCount + 128)
        while output.count < byteCount {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let line =
                #"{"src":"10.1.\#(state >> 56).\#((state >> 48) & 0xFF)","dport":\#((state >> 32) & 0xFFFF),"score":0.\#(state >> 54)}"#
            output += Array(line.utf8) + [0x0A]
        }
        return Array(output.prefix(byteCount))
    }

    /// Writes `payload` to a new file at `path` in the pieces `pattern` gives, and closes it.
    static func write(
        _ payload: [UInt8],
        to path: String,
        _ compression: OutputCompression,
        pattern: WritePattern
    ) throws {
        let file = try OutputFile(path: path, compression: compression)
        var offset = 0
        for size in pattern.chunkSizes(total: payload.count) {
            try file.write(Array(payload[offset..<offset + size]))
            offset += size
        }
        #expect(file.bytesWritten == payload.count)
        try file.close()
    }

    /// Decompresses a whole file with libzstd's one-shot `ZSTD_decompress`.
    static func zstdDecompress(_ compressed: [UInt8], expectedSize: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        let size = output.withUnsafeMutableBytes { out in
            compressed.withUnsafeBytes { ZSTD_decompress(out.baseAddress, out.count, $0.baseAddress, $0.count) }
        }
        try #require(ZSTD_isError(size) == 0, "\(String(cString: ZSTD_getErrorName(size)))")
        return Array(output.prefix(size))
    }

    /// Decompresses a whole file with `LZ4F_decompress`.
    static func lz4Decompress(_ compressed: [UInt8], expectedSize: Int) throws -> [UInt8] {
        var context: OpaquePointer?
        LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        defer { LZ4F_freeDecompressionContext(context) }
        var output = [UInt8](repeating: 0, count: expectedSize + 1)
        var produced = 0
        var consumed = 0
        var hint = 1
        while hint != 0 && consumed < compressed.count {
            var sourceSize = compressed.count - consumed
            var destinationSize = output.count - produced
            hint = output.withUnsafeMutableBytes { out in
                compressed.withUnsafeBytes { source in
                    LZ4F_decompress(
                        context,
                        out.baseAddress! + produced,
                        &destinationSize,
                        source.baseAddress! + consumed,
                        &sourceSize,
                        nil
                    )
                }
            }
            try #require(LZ4F_isError(hint) == 0, "\(String(cString: LZ4F_getErrorName(hint)))")
            produced += destinationSize
            consumed += sourceSize
        }
        #expect(hint == 0 && consumed == compressed.count, "frame not complete")
        return Array(output.prefix(produced))
    }

    /// `tool -dc path`, or `nil` when the tool is not installed.
    static func decompressWithTool(_ compression: OutputCompression, path: String) throws -> [UInt8]? {
        let tool = "/usr/bin/\(compression.rawValue)"
        guard FileManager.default.isExecutableFile(atPath: tool) else { return nil }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-dc", path]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(tool) -dc exited with \(process.terminationStatus)")
        return [UInt8](output)
    }

    /// Checks that the file at `path` decodes to `payload` with libzstd/liblz4 and with the CLI tool.
    static func expectContent(at path: String, _ compression: OutputCompression, equals payload: [UInt8]) throws {
        let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        switch compression {
        case .none:
            expectEqual(stored, payload, "file content")
        case .zstd:
            expectEqual(try zstdDecompress(stored, expectedSize: payload.count), payload, "ZSTD_decompress")
        case .lz4:
            expectEqual(try lz4Decompress(stored, expectedSize: payload.count), payload, "LZ4F_decompress")
        }
        if compression != .none, let decoded = try decompressWithTool(compression, path: path) {
            expectEqual(decoded, payload, "\(compression.rawValue) -dc")
        }
    }

    /// Expects equal byte arrays, reporting sizes and the first difference rather than every byte.
    static func expectEqual(
        _ actual: [UInt8],
        _ expected: [UInt8],
        _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard actual != expected else { return }
        let firstDifference =
            zip(actual, expected).enumerated().first { $1.0 != $1.1 }?.offset ?? min(actual.count, expected.count)
        Issue.record(
            "\(what): \(actual.count) bytes, expected \(expected.count); first difference at byte \(firstDifference)",
            sourceLocation: sourceLocation
        )
    }
}

/// Files written in any pattern of writes decode to exactly what was written.
@Suite struct OutputWriterRoundTripTests {
    @Test(arguments: OutputCompression.allCases, WritePattern.allCases)
    func writesReadBack(compression: OutputCompression, pattern: WritePattern) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("flows.ndjson\(compression.fileExtension)")
        let payload = pattern.payload
        try WriterFixtures.write(payload, to: path, compression, pattern: pattern)
        try WriterFixtures.expectContent(at: path, compression, equals: payload)
        #expect(try directory.contents() == ["flows.ndjson\(compression.fileExtension)"])
    }

    @Test(arguments: OutputCompression.allCases)
    func emptyFileReadsBackEmpty(compression: OutputCompression) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("empty")
        let file = try OutputFile(path: path, compression: compression)
        try file.close()
        try WriterFixtures.expectContent(at: path, compression, equals: [])
    }

    @Test(arguments: [(OutputCompression.zstd, Int32(19)), (.zstd, -5), (.lz4, 9), (.lz4, -3), (.none, 12)])
    func levelsReadBack(compression: OutputCompression, level: Int32) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("leveled")
        let payload = WriterFixtures.text(byteCount: 200_000, seed: UInt64(level + 100))
        let file = try OutputFile(path: path, compression: compression, level: level)
        _ = try payload.withUnsafeBytes { (raw) throws(OutputError) -> Int in
            try file.write(raw)
            return raw.count
        }
        try file.close()
        try WriterFixtures.expectContent(at: path, compression, equals: payload)
    }

    @Test func zstdIsSmallerThanTheInput() throws {
        let directory = try ScratchDirectory()
        let path = directory.path("big.zst")
        try WriterFixtures.write(WriterFixtures.large, to: path, .zstd, pattern: .oneBigWrite)
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < WriterFixtures.large.count / 3)
    }

    @Test func fileExtensions() {
        #expect(OutputCompression.zstd.fileExtension == ".zst")
        #expect(OutputCompression.lz4.fileExtension == ".lz4")
        #expect(OutputCompression.none.fileExtension == "")
        #expect(OutputCompression(rawValue: "lz4") == .lz4)
    }
}

/// A fresh directory under the system's temporary directory, removed on deinitialisation.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names in the directory, hidden ones included, sorted.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}
