import Ingest
import Testing

/// Damaged input ends in a thrown ``ParseError``: never a crash, a hang, or silent success.
@Suite struct DecompressionCorruptionTests {
    /// Every prefix of a small frame fails, except the empty one (an empty stream) and the whole frame.
    @Test(arguments: StreamCodec.allCases, [1, nil] as [Int?])
    func everyTruncationThrows(codec: StreamCodec, inputChunk: Int?) throws {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, codec)
        #expect(try DecompressionFixtures.decompress([], codec, inputChunk: inputChunk).isEmpty)
        #expect(
            try DecompressionFixtures.decompress(frame, codec, inputChunk: inputChunk) == DecompressionFixtures.small
        )
        for length in 1..<frame.count {
            let error = #expect(throws: ParseError.self, "prefix of \(length) of \(frame.count) bytes") {
                try DecompressionFixtures.decompress(
                    Array(frame.prefix(length)),
                    codec,
                    inputChunk: inputChunk,
                    outputChunk: 64
                )
            }
            guard case .corruptStream(let offset, let detail)? = error else {
                Issue.record("prefix \(length): got \(String(describing: error))")
                continue
            }
            #expect(offset <= length, "prefix \(length): \(detail)")
        }
    }

    @Test(arguments: StreamCodec.allCases)
    func truncationReportsTheEndOfTheInput(codec: StreamCodec) throws {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.sample, codec)
        let cut = frame.count - 10
        let error = #expect(throws: ParseError.self) {
            try DecompressionFixtures.decompress(Array(frame.prefix(cut)), codec, inputChunk: 1000)
        }
        let name = codec == .zstd ? "a zstd" : "an lz4"
        #expect(error == .corruptStream(offset: cut, detail: "stream ends inside \(name) frame (truncated file)"))
    }

    /// Flipping any bit of a checksummed frame never yields wrong bytes silently: the decoder or the checksum
    /// catches it. A few flips land in bits the decoder ignores (zstd's unused header bit, slack in entropy
    /// tables) and still give the original bytes, which is harmless.
    @Test(arguments: StreamCodec.allCases)
    func noBitFlipGoesUnnoticed(codec: StreamCodec) {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, codec)
        var wrongOutput: [String] = []
        var harmless = 0
        for index in frame.indices {
            for bit in 0..<8 {
                var damaged = frame
                damaged[index] ^= 1 << bit
                do {
                    let output = try DecompressionFixtures.decompress(damaged, codec, outputChunk: 100)
                    if output == DecompressionFixtures.small {
                        harmless += 1
                    } else {
                        wrongOutput.append("byte \(index) bit \(bit)")
                    }
                } catch {
                    #expect(error.offset <= frame.count)
                }
            }
        }
        #expect(wrongOutput.isEmpty, "flips giving wrong bytes without an error: \(wrongOutput)")
        #expect(harmless * 100 < frame.count * 8, "\(harmless) of \(frame.count * 8) flips changed nothing")
    }

    @Test(arguments: StreamCodec.allCases)
    func garbageIsRejectedAtTheStart(codec: StreamCodec) {
        let garbage = Array("this is not compressed at all".utf8)
        let error = #expect(throws: ParseError.self) { try DecompressionFixtures.decompress(garbage, codec) }
        guard case .corruptStream(let offset, let detail)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(offset <= 4)
        #expect(detail.hasPrefix("\(codec.rawValue): "))
    }

    @Test(arguments: StreamCodec.allCases)
    func trailingGarbageAfterAFrameIsRejected(codec: StreamCodec) {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, codec)
        let error = #expect(throws: ParseError.self) {
            try DecompressionFixtures.decompress(frame + [0, 0, 0, 0, 0, 0, 0, 0], codec)
        }
        guard case .corruptStream(let offset, _)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect((frame.count...frame.count + 8).contains(offset))
    }

    @Test(arguments: StreamCodec.allCases)
    func readsAfterAnErrorThrowTheSameError(codec: StreamCodec) throws {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.small, codec)
        var stream = codec.stream(over: MemoryByteStream(Array(frame.prefix(frame.count / 2))))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        let first = #expect(throws: ParseError.self) { while try stream.read(into: buffer) > 0 {} }
        let second = #expect(throws: ParseError.self) { _ = try stream.read(into: buffer) }
        #expect(first != nil && first == second)
    }

    @Test(arguments: StreamCodec.allCases)
    func upstreamErrorsPassThrough(codec: StreamCodec) {
        let frame = DecompressionFixtures.compress(DecompressionFixtures.sample, codec)
        let upstream = FailingByteStream(
            bytes: Array(frame.prefix(5000)),
            error: .io(offset: 5000, detail: "disk on fire")
        )
        let error = #expect(throws: ParseError.self) {
            try DecompressionFixtures.readAll(codec.stream(over: upstream), outputChunk: 4096)
        }
        #expect(error == .io(offset: 5000, detail: "disk on fire"))
    }

    /// A frame asking for a window over 2^27 bytes is refused before anything is allocated.
    @Test func zstdWindowIsBounded() throws {
        // Magic, Frame_Header_Descriptor 0 (Window_Descriptor follows), Window_Descriptor, then one empty
        // last raw block (header 0x000001).
        func frame(windowLog: UInt8) -> [UInt8] {
            [0x28, 0xB5, 0x2F, 0xFD, 0x00, (windowLog - 10) << 3, 0x01, 0x00, 0x00]
        }
        #expect(ZstdDecompressingStream.maximumWindowLog == 27)
        #expect(try DecompressionFixtures.decompress(frame(windowLog: 27), .zstd).isEmpty)
        for windowLog: UInt8 in [28, 31, 41] {
            let error = #expect(throws: ParseError.self) {
                try DecompressionFixtures.decompress(frame(windowLog: windowLog), .zstd)
            }
            guard case .corruptStream(_, let detail)? = error else {
                Issue.record("window log \(windowLog): got \(String(describing: error))")
                continue
            }
            #expect(detail.contains("memory") || detail.contains("window"), "window log \(windowLog): \(detail)")
        }
    }

    @Test func legacyLZ4IsUnsupported() {
        // Legacy magic, then one block: a 4-byte little-endian compressed size and the block.
        let legacy: [UInt8] = [0x02, 0x21, 0x4C, 0x18, 0x05, 0x00, 0x00, 0x00, 0x40, 0x61, 0x62, 0x63, 0x64]
        for inputChunk in [1, nil] {
            let error = #expect(throws: ParseError.self) {
                try DecompressionFixtures.decompress(legacy, .lz4, inputChunk: inputChunk)
            }
            #expect(error == .unsupported(offset: 0, what: "legacy lz4 format"))
        }
    }
}

/// Returns `bytes`, then throws `error`.
final class FailingByteStream: ByteStream {
    private let bytes: MemoryByteStream
    private let error: ParseError

    init(bytes: [UInt8], error: ParseError) {
        self.bytes = MemoryByteStream(bytes, maximumReadSize: 1000)
        self.error = error
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        let count = try bytes.read(into: buffer)
        if count == 0 { throw error }
        return count
    }
}
