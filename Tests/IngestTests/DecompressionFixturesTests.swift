import CLZ4
import CZstd
import Foundation
import Ingest
import Testing

/// The two codecs the decompression tests run against.
enum StreamCodec: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case zstd
    case lz4

    var testDescription: String { rawValue }

    /// The command-line tool that writes this format.
    var tool: String { "/usr/bin/\(rawValue)" }

    /// Whether ``tool`` is installed; CLI tests are disabled without it.
    var toolIsInstalled: Bool { FileManager.default.isExecutableFile(atPath: tool) }

    /// A decompressing stream for this codec over `upstream`.
    func stream(over upstream: any ByteStream) -> any ByteStream {
        switch self {
        case .zstd: ZstdDecompressingStream(upstream)
        case .lz4: LZ4FrameDecompressingStream(upstream)
        }
    }
}

/// Compressed fixtures built in-test with libzstd / liblz4 (checksums on) or with the CLI tools.
enum DecompressionFixtures {
    /// About 300 KB of deterministic, log-like text: compressible, but not trivially.
    static let sample: [UInt8] = text(byteCount: 300_000, seed: 1)
    /// A second payload, for concatenation tests.
    static let otherSample: [UInt8] = text(byteCount: 70_000, seed: 2)
    /// A payload whose compressed frame is about 200 bytes, for exhaustive truncation and bit flips.
    static let small: [UInt8] = text(byteCount: 400, seed: 3)

    /// Pseudo-random log lines (a fixed LCG over a small vocabulary plus numbers).
    static func text(byteCount: Int, seed: UInt64) -> [UInt8] {
        let words = ["flow", "src", "dst", "tcp", "udp", "beacon", "pacs", "dicom", "10.1.", "192.168.", "smb", "rdp"]
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var output: [UInt8] = []
        output.reserveCapacity(byteCount + 64)
        while output.count < byteCount {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let word = words[Int(state >> 33) % words.count]
            output += Array(word.utf8)
            output += Array(String(state >> 50).utf8)
            output.append((state >> 20) % 7 == 0 ? 0x0A : 0x20)
        }
        return Array(output.prefix(byteCount))
    }

    /// `data` compressed in one frame with `codec`, content checksum on.
    static func compress(_ data: [UInt8], _ codec: StreamCodec) -> [UInt8] {
        switch codec {
        case .zstd: zstdFrame(data)
        case .lz4: lz4Frame(data)
        }
    }

    /// One zstd frame with `ZSTD_c_checksumFlag` = 1, made by `ZSTD_compress2`.
    static func zstdFrame(_ data: [UInt8], level: Int32 = 3) -> [UInt8] {
        let context = ZSTD_createCCtx()!
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let size = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { ZSTD_compress2(context, out.baseAddress, out.count, $0.baseAddress, $0.count) }
        }
        precondition(ZSTD_isError(size) == 0, String(cString: ZSTD_getErrorName(size)))
        return Array(output.prefix(size))
    }

    /// One LZ4 frame with a content checksum, made by `LZ4F_compressFrame`.
    static func lz4Frame(_ data: [UInt8]) -> [UInt8] {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        var output = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(data.count, &preferences))
        let size = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes {
                LZ4F_compressFrame(out.baseAddress, out.count, $0.baseAddress, $0.count, &preferences)
            }
        }
        precondition(LZ4F_isError(size) == 0, String(cString: LZ4F_getErrorName(size)))
        return Array(output.prefix(size))
    }

    /// A skippable frame (shared by zstd and LZ4) with magic `0x184D2A50 + variant` around `payload`.
    static func skippableFrame(variant: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        littleEndian(0x184D_2A50 + variant) + littleEndian(UInt32(payload.count)) + payload
    }

    /// The four little-endian bytes of `value`.
    static func littleEndian(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// `data` compressed by the codec's command-line tool (`zstd -q`, `lz4 -q`), read back from its file.
    static func compressWithTool(_ data: [UInt8], _ codec: StreamCodec) throws -> [UInt8] {
        let directory = try ScratchDirectory()
        let input = directory.path("input")
        let output = directory.path("input.\(codec == .zstd ? "zst" : "lz4")")
        try Data(data).write(to: URL(fileURLWithPath: input))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: codec.tool)
        process.arguments = ["-q", "-f", input, output]
        if codec == .zstd { process.arguments = ["-q", "-f", input, "-o", output] }
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(codec.tool) exited with \(process.terminationStatus)")
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Expects equal byte arrays, reporting sizes and the first difference rather than every byte.
    static func expectSameBytes(
        _ actual: [UInt8],
        _ expected: [UInt8],
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard actual != expected else { return }
        let firstDifference =
            zip(actual, expected).enumerated().first { $1.0 != $1.1 }?.offset ?? min(actual.count, expected.count)
        let context = comment.map { "\($0.rawValue): " } ?? ""
        Issue.record(
            "\(context)\(actual.count) bytes, expected \(expected.count); first difference at byte \(firstDifference)",
            sourceLocation: sourceLocation
        )
    }

    /// Reads `stream` to its end through buffers of `outputChunk` bytes.
    static func readAll(_ stream: any ByteStream, outputChunk: Int) throws(ParseError) -> [UInt8] {
        var stream = stream
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: outputChunk, alignment: 1)
        defer { buffer.deallocate() }
        var output: [UInt8] = []
        while true {
            let count = try stream.read(into: buffer)
            if count == 0 { return output }
            output += UnsafeRawBufferPointer(rebasing: buffer[..<count])
        }
    }

    /// Decompresses `compressed`, delivered `inputChunk` bytes per upstream read, into buffers of
    /// `outputChunk` bytes.
    static func decompress(
        _ compressed: [UInt8],
        _ codec: StreamCodec,
        inputChunk: Int? = nil,
        outputChunk: Int = 4096
    ) throws(ParseError) -> [UInt8] {
        let upstream = MemoryByteStream(compressed, maximumReadSize: inputChunk)
        return try readAll(codec.stream(over: upstream), outputChunk: outputChunk)
    }
}

/// A fresh directory under the system's temporary directory, removed on deinitialisation.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-codecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` and returns its path.
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }
}

/// The fixtures themselves: the premises the other decompression tests rely on.
@Suite struct DecompressionFixtureTests {
    @Test func sampleIsDeterministicAndCompressible() {
        #expect(
            DecompressionFixtures.text(byteCount: 1000, seed: 1) == DecompressionFixtures.text(byteCount: 1000, seed: 1)
        )
        let compressed = DecompressionFixtures.compress(DecompressionFixtures.sample, .zstd)
        #expect(compressed.count < DecompressionFixtures.sample.count / 2)
        #expect(compressed.count > DecompressionFixtures.sample.count / 50)
    }

    @Test func zstdFixturesCarryAChecksum() {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, .zstd)
        #expect(Array(frame.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
        // Frame_Header_Descriptor bit 2 is Content_Checksum_flag (RFC 8878 §3.1.1.1.1).
        #expect(frame[4] & 0b100 != 0)
        #expect((150...260).contains(frame.count), "small frame is \(frame.count) bytes")
    }

    @Test func lz4FixturesCarryAContentChecksum() {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, .lz4)
        var context: OpaquePointer?
        LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        defer { LZ4F_freeDecompressionContext(context) }
        var info = LZ4F_frameInfo_t()
        var size = frame.count
        let status = frame.withUnsafeBytes { LZ4F_getFrameInfo(context, &info, $0.baseAddress, &size) }
        #expect(LZ4F_isError(status) == 0)
        #expect(info.contentChecksumFlag == LZ4F_contentChecksumEnabled)
        #expect((150...400).contains(frame.count), "small frame is \(frame.count) bytes")
    }
}
