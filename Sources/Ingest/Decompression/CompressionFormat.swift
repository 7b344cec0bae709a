/// How an input file is compressed, as told by its first four bytes.
public enum CompressionFormat: Sendable, Hashable {
    /// Not compressed (or compressed in a way medflow does not recognise): read the bytes as they are.
    case none
    /// Zstandard frames (`.zst`), possibly preceded by skippable frames.
    case zstd
    /// LZ4 frames (`.lz4`).
    case lz4

    /// The zstd frame magic number, `0xFD2FB528` (bytes `28 B5 2F FD`).
    static let zstdMagic: UInt32 = 0xFD2F_B528
    /// The LZ4 frame magic number, `0x184D2204` (bytes `04 22 4D 18`).
    static let lz4FrameMagic: UInt32 = 0x184D_2204
    /// The legacy LZ4 magic number, `0x184C2102` (`lz4 -l`).
    static let lz4LegacyMagic: UInt32 = 0x184C_2102
    /// Skippable frames, shared by zstd and LZ4, have magic numbers `0x184D2A50` to `0x184D2A5F`.
    static let skippableMagicBase: UInt32 = 0x184D_2A50

    /// Recognises the compression format from the first bytes of a file.
    ///
    /// All magic numbers are little-endian 32-bit words. A file that starts with a skippable frame is
    /// reported as ``zstd``: both formats define skippable frames the same way, and zstd tools are the
    /// ones that write them in practice. The legacy LZ4 magic is reported as ``lz4`` so that reading it
    /// fails with a clear "unsupported" error instead of being taken for an uncompressed file.
    ///
    /// - Parameter firstBytes: The start of the file; fewer than four bytes is always ``none``.
    /// - Returns: The format whose magic number the bytes begin with, or ``none``.
    public static func detect(_ firstBytes: UnsafeRawBufferPointer) -> CompressionFormat {
        guard firstBytes.count >= 4 else { return .none }
        let magic = UInt32(littleEndian: firstBytes.loadUnaligned(as: UInt32.self))
        switch magic {
        case zstdMagic: return .zstd
        case skippableMagicBase...(skippableMagicBase | 0xF): return .zstd
        case lz4FrameMagic, lz4LegacyMagic: return .lz4
        default: return .none
        }
    }

    /// Opens a file and returns a stream of its decompressed content.
    ///
    /// The format comes from the file's magic number (see ``detect(_:)``), not from its name. The four
    /// bytes peeked to detect it are replayed, so the returned stream starts at the beginning of the data.
    ///
    /// - Parameter path: The file to read.
    /// - Returns: A ``FileByteStream``-backed stream, wrapped in a ``ZstdDecompressingStream`` or an
    ///   ``LZ4FrameDecompressingStream`` when the file is compressed.
    /// - Throws: ``ParseError/io(offset:detail:)`` when the file cannot be opened or read.
    public static func open(path: String) throws(ParseError) -> any ByteStream {
        let file = try FileByteStream(path: path)
        let peekBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 4)
        defer { peekBuffer.deallocate() }
        var count = 0
        while count < peekBuffer.count {
            let read = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: peekBuffer[count...]))
            if read == 0 { break }
            count += read
        }
        let peeked = UnsafeRawBufferPointer(rebasing: peekBuffer[..<count])
        let format = detect(peeked)
        let stream = PrefixedByteStream(prefix: Array(peeked), base: file)
        switch format {
        case .none: return stream
        case .zstd: return ZstdDecompressingStream(stream)
        case .lz4: return LZ4FrameDecompressingStream(stream)
        }
    }
}
