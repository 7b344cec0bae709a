internal import CBZ2
internal import CLZ4
internal import CLZO
internal import CZstd

/// Decompresses one nfdump data block's payload into a caller-owned buffer whose capacity bounds the
/// output (``NfdumpFileHeader/maximumBlockSize``): a block can never make the reader allocate more.
///
/// Each algorithm is the raw form nfdump writes (`nffile.c`): LZO1X and LZ4 raw blocks without a length
/// prefix, a whole bzip2 stream, one zstd frame. One codec value per thread: the zstd context is reused.
final class NfdumpBlockCodec {
    /// The file's block compression.
    let compression: NfdumpCompression
    private var zstdContext: OpaquePointer?

    /// Whether `lzo_init` succeeded (done once per process).
    private static let lzoReady: Bool = medflow_lzo_init() == LZO_E_OK

    /// Creates a codec for `compression`.
    init(compression: NfdumpCompression) {
        self.compression = compression
        if compression == .zstd { zstdContext = ZSTD_createDCtx() }
    }

    deinit {
        if let zstdContext { ZSTD_freeDCtx(zstdContext) }
    }

    /// Decompresses `source` into `destination`.
    ///
    /// - Returns: The plain size, or `nil` when the payload is corrupt or larger than `destination`.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard let input = source.baseAddress, let output = destination.baseAddress, !source.isEmpty else {
            return nil
        }
        switch compression {
        case .none:
            guard source.count <= destination.count else { return nil }
            output.copyMemory(from: input, byteCount: source.count)
            return source.count
        case .lz4:
            let size = LZ4_decompress_safe(
                input.assumingMemoryBound(to: CChar.self), output.assumingMemoryBound(to: CChar.self),
                Int32(clamping: source.count), Int32(clamping: destination.count))
            return size > 0 ? Int(size) : nil
        case .lzo:
            guard Self.lzoReady else { return nil }
            var size = lzo_uint(destination.count)
            let status = lzo1x_decompress_safe(
                input.assumingMemoryBound(to: UInt8.self), lzo_uint(source.count),
                output.assumingMemoryBound(to: UInt8.self), &size, nil)
            return status == LZO_E_OK && size > 0 ? Int(size) : nil
        case .bz2:
            var size = UInt32(clamping: destination.count)
            let status = BZ2_bzBuffToBuffDecompress(
                output.assumingMemoryBound(to: CChar.self), &size,
                UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: CChar.self)),
                UInt32(clamping: source.count), 0, 0)
            return status == BZ_OK && size > 0 ? Int(size) : nil
        case .zstd:
            guard let zstdContext else { return nil }
            let size = ZSTD_decompressDCtx(zstdContext, output, destination.count, input, source.count)
            return ZSTD_isError(size) == 0 && size > 0 ? size : nil
        }
    }
}
