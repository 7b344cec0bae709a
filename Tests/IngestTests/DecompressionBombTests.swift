import CLZ4
import Ingest
import Testing

/// Streams that decompress to far more than they hold: every read stays within the caller's buffer, so
/// memory is bounded by the buffer and the codec's window, never by the output.
@Suite("Decompression bombs")
struct DecompressionBombTests {
    static let outputSize = 256 << 20

    /// A zstd frame of `outputSize` zeros made of 128 KiB RLE blocks: 4 bytes of input per 128 KiB of output.
    static func zstdBomb() -> [UInt8] {
        let blockSize = 128 << 10
        // Magic; frame header descriptor 0 (no content size, no checksum); window 2^17.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, (17 - 10) << 3]
        let blocks = outputSize / blockSize
        for index in 0..<blocks {
            let header = UInt32(blockSize) << 3 | 1 << 1 | (index == blocks - 1 ? 1 : 0)  // RLE, last flag
            frame += [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16), 0x00]
        }
        return frame
    }

    /// An LZ4 frame of `outputSize` zeros: one compressed 4 MiB block of zeros, repeated (the blocks are
    /// independent, so each decodes on its own).
    static func lz4Bomb() -> [UInt8] {
        let plain = [UInt8](repeating: 0, count: 4 << 20)
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max4MB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        var frame = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(plain.count, &preferences))
        let size = frame.withUnsafeMutableBytes { out in
            plain.withUnsafeBytes { LZ4F_compressFrame(out.baseAddress, out.count, $0.baseAddress, $0.count, &preferences) }
        }
        precondition(LZ4F_isError(size) == 0)
        // 7 header bytes (magic, FLG, BD, HC), one block, a 4-byte end mark.
        let header = Array(frame[0..<7]), block = Array(frame[7..<(size - 4)]), end = Array(frame[(size - 4)..<size])
        return header + Array([[UInt8]](repeating: block, count: outputSize / plain.count).joined()) + end
    }

    @Test("a small frame of 256 MiB of zeros streams out in reads no larger than the buffer", arguments: StreamCodec.allCases)
    func bombStreams(codec: StreamCodec) throws {
        let compressed = codec == .zstd ? Self.zstdBomb() : Self.lz4Bomb()
        #expect(compressed.count < Self.outputSize / 64, "\(compressed.count) bytes of input")
        var stream = codec.stream(over: MemoryByteStream(compressed))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0, largest = 0
        while true {
            let count = try stream.read(into: buffer)
            if count == 0 { break }
            if total == 0 { #expect(UnsafeRawBufferPointer(rebasing: buffer[..<count]).allSatisfy { $0 == 0 }) }
            largest = max(largest, count)
            total += count
        }
        #expect(total == Self.outputSize && largest <= buffer.count)
    }
}
