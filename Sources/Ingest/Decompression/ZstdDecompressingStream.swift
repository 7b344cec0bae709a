internal import CZstd

/// A ``ByteStream`` that decompresses a zstd stream read from another ``ByteStream``, a buffer at a time.
///
/// It reads any number of concatenated zstd frames and skippable frames (what `cat a.zst b.zst` makes),
/// and never holds more than one input buffer (`ZSTD_DStreamInSize()`, about 128 KiB) plus the decoder's
/// window in memory. The window is capped at 2^``maximumWindowLog`` bytes so that a hostile frame cannot
/// make it allocate without bound. The corresponding C function is `ZSTD_decompressStream`.
public final class ZstdDecompressingStream: ByteStream {
    /// The largest window, as a power of two, this stream accepts: 27 is 128 MiB, the zstd CLI's default
    /// limit. Frames that need more fail with ``ParseError/corruptStream(offset:detail:)``.
    public static let maximumWindowLog: Int32 = 27

    private var upstream: any ByteStream
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inputPosition = 0
    private var inputEnd = 0
    private var upstreamEnded = false
    /// Whether a frame has started and not yet been completely decoded and flushed.
    private var insideFrame = false
    /// The error that ended the stream; later reads throw it again rather than touch a failed decoder.
    private var failure: ParseError?
    /// How many compressed bytes have been read from the upstream stream.
    public private(set) var compressedBytesRead = 0

    /// The offset in the compressed stream of the next byte the decoder has not consumed yet.
    public var compressedOffset: Int { compressedBytesRead - (inputEnd - inputPosition) }

    /// Creates a stream that decompresses the zstd data read from `upstream`.
    ///
    /// - Parameter upstream: The compressed bytes; an empty stream decompresses to an empty stream.
    public init(_ upstream: any ByteStream) {
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
        let status = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.maximumWindowLog)
        precondition(ZSTD_isError(status) == 0, "ZSTD_d_windowLogMax rejected: \(zstdErrorText(status))")
        self.context = context
        self.upstream = upstream
        self.input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    /// Decompresses the next bytes into `buffer`.
    ///
    /// - Parameter buffer: Where to write; at most `buffer.count` bytes are decompressed.
    /// - Returns: The number of bytes written; `0` once every frame has been decoded and the input ends.
    /// - Throws: ``ParseError/corruptStream(offset:detail:)`` with the compressed offset when the decoder
    ///   rejects the data or the input ends inside a frame; errors of the upstream stream as they are.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        if let failure { throw failure }
        guard buffer.count > 0 else { return 0 }
        do throws(ParseError) {
            return try decode(into: buffer)
        } catch {
            failure = error
            throw error
        }
    }

    /// The body of ``read(into:)``: refills and decodes until some output is ready or the stream ends.
    private func decode(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        while true {
            if inputPosition == inputEnd && !upstreamEnded {
                try refill()
            }
            let atEnd = inputPosition == inputEnd && upstreamEnded
            if atEnd && !insideFrame { return 0 }
            let (consumed, produced) = try decompress(into: buffer)
            if produced > 0 { return produced }
            if atEnd {
                throw .corruptStream(
                    offset: compressedBytesRead,
                    detail: "stream ends inside a zstd frame (truncated file)"
                )
            }
            if consumed == 0 && inputPosition < inputEnd {
                throw .corruptStream(offset: compressedOffset, detail: "zstd decoder made no progress")
            }
        }
    }

    /// Reads the next piece of compressed input, noting when the upstream stream has ended.
    private func refill() throws(ParseError) {
        let count = try upstream.read(into: input)
        inputPosition = 0
        inputEnd = count
        compressedBytesRead += count
        if count == 0 { upstreamEnded = true }
    }

    /// Runs the decoder once over the buffered input; returns how many bytes it consumed and produced.
    private func decompress(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> (Int, Int) {
        var source = ZSTD_inBuffer(src: input.baseAddress! + inputPosition, size: inputEnd - inputPosition, pos: 0)
        var destination = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        let result = ZSTD_decompressStream(context, &destination, &source)
        inputPosition += source.pos
        insideFrame = try check(result) != 0
        return (source.pos, destination.pos)
    }

    /// Returns `result`, or throws the zstd error it encodes at the current compressed offset.
    private func check(_ result: Int) throws(ParseError) -> Int {
        guard ZSTD_isError(result) != 0 else { return result }
        throw .corruptStream(offset: compressedOffset, detail: "zstd: " + zstdErrorText(result))
    }
}

/// The text `ZSTD_getErrorName` gives for an error code.
private func zstdErrorText(_ code: Int) -> String {
    String(cString: ZSTD_getErrorName(code))
}
