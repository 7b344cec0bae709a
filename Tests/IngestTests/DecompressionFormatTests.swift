import Ingest
import Testing

/// A first-bytes sample and the format ``CompressionFormat/detect(_:)`` should see in it.
struct MagicCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let format: CompressionFormat

    var testDescription: String { name }

    static let all: [MagicCase] = [
        MagicCase(name: "zstd frame", bytes: [0x28, 0xB5, 0x2F, 0xFD, 0x24], format: .zstd),
        MagicCase(name: "skippable 0x184D2A50", bytes: [0x50, 0x2A, 0x4D, 0x18], format: .zstd),
        MagicCase(name: "skippable 0x184D2A5F", bytes: [0x5F, 0x2A, 0x4D, 0x18, 0, 0, 0, 0], format: .zstd),
        MagicCase(name: "lz4 frame", bytes: [0x04, 0x22, 0x4D, 0x18, 0x64], format: .lz4),
        MagicCase(name: "legacy lz4", bytes: [0x02, 0x21, 0x4C, 0x18], format: .lz4),
        MagicCase(name: "pcap", bytes: [0xD4, 0xC3, 0xB2, 0xA1, 0x02, 0x00], format: .none),
        MagicCase(name: "pcap big-endian", bytes: [0xA1, 0xB2, 0xC3, 0xD4], format: .none),
        MagicCase(name: "pcapng", bytes: [0x0A, 0x0D, 0x0D, 0x0A], format: .none),
        MagicCase(name: "not skippable 0x184D2A60", bytes: [0x60, 0x2A, 0x4D, 0x18], format: .none),
        MagicCase(name: "zstd magic big-endian", bytes: [0xFD, 0x2F, 0xB5, 0x28], format: .none),
        MagicCase(name: "three zstd bytes", bytes: [0x28, 0xB5, 0x2F], format: .none),
        MagicCase(name: "empty", bytes: [], format: .none),
    ]
}

/// Format detection, ``CompressionFormat/open(path:)`` and the plain byte streams.
@Suite struct DecompressionFormatTests {
    @Test(arguments: MagicCase.all)
    func detectsTheMagicNumber(sample: MagicCase) {
        #expect(sample.bytes.withUnsafeBytes { CompressionFormat.detect($0) } == sample.format)
    }

    @Test(arguments: StreamCodec.allCases)
    func detectsFixtureFrames(codec: StreamCodec) {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, codec)
        #expect(frame.withUnsafeBytes { CompressionFormat.detect($0) } == (codec == .zstd ? .zstd : .lz4))
    }

    @Test(arguments: [nil, StreamCodec.zstd, StreamCodec.lz4])
    func openDecompressesByContent(codec: StreamCodec?) throws {
        let directory = try ScratchDirectory()
        let data = DecompressionFixtures.sample
        let bytes = codec.map { DecompressionFixtures.compress(data, $0) } ?? data
        // The name is deliberately wrong: the magic number decides.
        let path = try directory.write(bytes, to: "capture.pcap")
        for outputChunk in [1, 3, 4096, 1 << 20] {
            let stream = try CompressionFormat.open(path: path)
            try DecompressionFixtures.expectSameBytes(
                DecompressionFixtures.readAll(stream, outputChunk: outputChunk),
                data,
                "output \(outputChunk) B"
            )
        }
    }

    @Test(arguments: 0...5)
    func openReplaysShortPlainFiles(length: Int) throws {
        let directory = try ScratchDirectory()
        let data = Array([0xD4, 0xC3, 0xB2, 0xA1, 0x7F].prefix(length)) as [UInt8]
        let path = try directory.write(data, to: "tiny.pcap")
        for outputChunk in [1, 2, 64] {
            let stream = try CompressionFormat.open(path: path)
            try DecompressionFixtures.expectSameBytes(
                DecompressionFixtures.readAll(stream, outputChunk: outputChunk),
                data
            )
        }
    }

    @Test(arguments: StreamCodec.allCases)
    func openReadsToolOutput(codec: StreamCodec) throws {
        if !codec.toolIsInstalled { try Test.cancel("\(codec.tool) is not installed") }
        let directory = try ScratchDirectory()
        let compressed = try DecompressionFixtures.compressWithTool(DecompressionFixtures.otherSample, codec)
        let path = try directory.write(compressed, to: "capture.pcap.\(codec == .zstd ? "zst" : "lz4")")
        let stream = try CompressionFormat.open(path: path)
        try DecompressionFixtures.expectSameBytes(
            DecompressionFixtures.readAll(stream, outputChunk: 4096),
            DecompressionFixtures.otherSample
        )
    }

    @Test func openingAMissingFileIsAnIOError() throws {
        let directory = try ScratchDirectory()
        let error = #expect(throws: ParseError.self) {
            try CompressionFormat.open(path: directory.path("missing.pcap.zst"))
        }
        #expect(error == .io(offset: 0, detail: "No such file or directory"))
    }

    @Test func readingADirectoryIsAnIOError() throws {
        let directory = try ScratchDirectory()
        let stream = try FileByteStream(path: directory.path("."))
        let error = #expect(throws: ParseError.self) { try DecompressionFixtures.readAll(stream, outputChunk: 16) }
        #expect(error == .io(offset: 0, detail: "Is a directory"))
    }

    @Test func fileStreamCountsWhatItRead() throws {
        let directory = try ScratchDirectory()
        let data = DecompressionFixtures.otherSample
        let stream = try FileByteStream(path: directory.write(data, to: "plain"))
        try DecompressionFixtures.expectSameBytes(DecompressionFixtures.readAll(stream, outputChunk: 10_000), data)
        #expect(stream.bytesRead == data.count)
    }

    @Test(arguments: [1, 2, 7, 1000])
    func memoryStreamHonoursItsReadSize(maximumReadSize: Int) throws {
        let data = Array(DecompressionFixtures.small.prefix(100))
        let stream = MemoryByteStream(data, maximumReadSize: maximumReadSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 50, alignment: 1)
        defer { buffer.deallocate() }
        var output: [UInt8] = []
        while true {
            let count = try stream.read(into: buffer)
            #expect(count <= min(maximumReadSize, 50))
            if count == 0 { break }
            output += UnsafeRawBufferPointer(rebasing: buffer[..<count])
        }
        #expect(output == data && stream.bytesRead == data.count)
    }
}
