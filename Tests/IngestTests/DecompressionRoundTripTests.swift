import Ingest
import Testing

/// Compressed data reads back byte for byte through every chunking of input and output.
@Suite struct DecompressionRoundTripTests {
    static let inputChunks = [1, 2, 3, 7, 64, 4096]
    static let outputChunks = [1, 5, 4096, 1 << 20]

    static let frames: [StreamCodec: [UInt8]] = Dictionary(
        uniqueKeysWithValues: StreamCodec.allCases.map {
            ($0, DecompressionFixtures.compress(DecompressionFixtures.sample, $0))
        }
    )

    @Test(arguments: StreamCodec.allCases, inputChunks)
    func readsBackThroughEveryChunking(codec: StreamCodec, inputChunk: Int) throws {
        let compressed = try #require(Self.frames[codec])
        for outputChunk in Self.outputChunks {
            let output = try DecompressionFixtures.decompress(
                compressed,
                codec,
                inputChunk: inputChunk,
                outputChunk: outputChunk
            )
            DecompressionFixtures.expectSameBytes(
                output,
                DecompressionFixtures.sample,
                "input \(inputChunk) B per read, output \(outputChunk) B"
            )
        }
    }

    @Test(arguments: StreamCodec.allCases)
    func concatenatedFramesReadAsOneStream(codec: StreamCodec) throws {
        let a = DecompressionFixtures.sample
        let b = DecompressionFixtures.otherSample
        let compressed =
            DecompressionFixtures.compress(a, codec) + DecompressionFixtures.compress(b, codec)
            + DecompressionFixtures.compress([], codec) + DecompressionFixtures.compress(a, codec)
        for inputChunk in [1, 7, 4096, nil] {
            let output = try DecompressionFixtures.decompress(
                compressed,
                codec,
                inputChunk: inputChunk,
                outputChunk: 4093
            )
            DecompressionFixtures.expectSameBytes(output, a + b + a, "input chunk \(String(describing: inputChunk))")
        }
    }

    @Test(arguments: StreamCodec.allCases)
    func skippableFramesAreSkipped(codec: StreamCodec) throws {
        let a = DecompressionFixtures.small
        let b = DecompressionFixtures.otherSample
        let compressed =
            DecompressionFixtures.skippableFrame(payload: Array("medflow".utf8))
            + DecompressionFixtures.compress(a, codec)
            + DecompressionFixtures.skippableFrame(variant: 0xF, payload: [UInt8](repeating: 0xEE, count: 70_000))
            + DecompressionFixtures.skippableFrame(variant: 3, payload: [])
            + DecompressionFixtures.compress(b, codec)
        for inputChunk in [1, 3, 4096, nil] {
            let output = try DecompressionFixtures.decompress(
                compressed,
                codec,
                inputChunk: inputChunk,
                outputChunk: 1000
            )
            DecompressionFixtures.expectSameBytes(output, a + b, "input chunk \(String(describing: inputChunk))")
        }
    }

    @Test(arguments: StreamCodec.allCases)
    func onlySkippableFramesIsEmpty(codec: StreamCodec) throws {
        let compressed = DecompressionFixtures.skippableFrame(payload: [1, 2, 3])
        #expect(try DecompressionFixtures.decompress(compressed, codec).isEmpty)
    }

    @Test(arguments: StreamCodec.allCases)
    func emptyInputIsAnEmptyStream(codec: StreamCodec) throws {
        var stream = codec.stream(over: MemoryByteStream([]))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try stream.read(into: buffer) == 0)
        #expect(try stream.read(into: buffer) == 0, "the end of the stream stays the end")
    }

    @Test(arguments: StreamCodec.allCases)
    func frameOfNothingIsEmpty(codec: StreamCodec) throws {
        let compressed = DecompressionFixtures.compress([], codec)
        #expect(!compressed.isEmpty)
        #expect(try DecompressionFixtures.decompress(compressed, codec, inputChunk: 1, outputChunk: 1).isEmpty)
    }

    @Test(arguments: StreamCodec.allCases)
    func emptyBufferReadsNothing(codec: StreamCodec) throws {
        var stream = codec.stream(
            over: MemoryByteStream(DecompressionFixtures.compress(DecompressionFixtures.small, codec))
        )
        #expect(try stream.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) == 0)
        #expect(try DecompressionFixtures.readAll(stream, outputChunk: 100) == DecompressionFixtures.small)
    }

    @Test func countsTheCompressedBytesItConsumed() throws {
        let zstd = try #require(Self.frames[.zstd])
        let lz4 = try #require(Self.frames[.lz4])
        let zstdStream = ZstdDecompressingStream(MemoryByteStream(zstd, maximumReadSize: 1000))
        let lz4Stream = LZ4FrameDecompressingStream(MemoryByteStream(lz4, maximumReadSize: 1000))
        _ = try DecompressionFixtures.readAll(zstdStream, outputChunk: 4096)
        _ = try DecompressionFixtures.readAll(lz4Stream, outputChunk: 4096)
        #expect(zstdStream.compressedBytesRead == zstd.count && zstdStream.compressedOffset == zstd.count)
        #expect(lz4Stream.compressedBytesRead == lz4.count && lz4Stream.compressedOffset == lz4.count)
    }

    @Test(arguments: StreamCodec.allCases)
    func outputOfTheCommandLineToolReadsBack(codec: StreamCodec) throws {
        if !codec.toolIsInstalled { try Test.cancel("\(codec.tool) is not installed") }
        let a = DecompressionFixtures.sample
        let b = DecompressionFixtures.otherSample
        let first = try DecompressionFixtures.compressWithTool(a, codec)
        let second = try DecompressionFixtures.compressWithTool(b, codec)
        for inputChunk in [1, 64, nil] {
            // `cat a.zst b.zst`: two frames in one file.
            let output = try DecompressionFixtures.decompress(
                first + second,
                codec,
                inputChunk: inputChunk,
                outputChunk: 5
            )
            DecompressionFixtures.expectSameBytes(output, a + b, "input chunk \(String(describing: inputChunk))")
        }
    }
}
