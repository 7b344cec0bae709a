internal import CLZ4

/// A ``ByteStream`` that decompresses an LZ4 frame stream read from another ``ByteStream``, a buffer at a
/// time.
///
/// It reads any number of concatenated LZ4 frames and skippable frames (magic `0x184D2A50`–`0x184D2A5F`),
/// holding one 128 KiB input buffer plus the decoder's block buffers (at most two 4 MiB blocks). The
/// legacy LZ4 format (magic `0x184C2102`, `lz4 -l`) is not read. The corresponding C function is
/// `LZ4F_decompress`.
public final class LZ4FrameDecompressingStream: ByteStream {
    private static let inputBufferSize = 128 * 1024
    private static let legacyMagic: [UInt8] = [0x02, 0x21, 0x4C, 0x18]

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
    /// The first bytes of the compressed stream, kept to recognise the legacy format when LZ4F fails.
    private var leadingBytes: [UInt8] = []
    /// How many compressed bytes have been read from the upstream stream.
    public private(set) var compressedBytesRead = 0

    /// The offset in the compressed stream of the next byte the decoder has not consumed yet.
    public var compressedOffset: Int { compressedBytesRead - (inputEnd - inputPosition) }

    /// Creates a stream that decompresses the LZ4 frames read from `upstream`.
    ///
    /// - Parameter upstream: The compressed bytes; an empty stream decompresses to an empty stream.
    public init(_ upstream: any ByteStream) {
        var context: OpaquePointer?
        let status = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(status) == 0, let context else {
            fatalError("LZ4F_createDecompressionContext: \(lz4ErrorText(status))")
        }
        self.context = context
        self.upstream = upstream
        self.input = .allocate(byteCount: Self.inputBufferSize, alignment: 16)
    }

    deinit {
        _ = LZ4F_freeDecompressionContext(context)
        input.deallocate()
    }

    /// Decompresses the next bytes into `buffer`.
    ///
    /// - Parameter buffer: Where to write; at most `buffer.count` bytes are decompressed.
    /// - Returns: The number of bytes written; `0` once every frame has been decoded and the input ends.
    /// - Throws: ``ParseError/corruptStream(offset:detail:)`` with the compressed offset when the decoder
    ///   rejects the data or the input ends inside a frame; ``ParseError/unsupported(offset:what:)`` for the
    ///   legacy format; errors of the upstream stream as they are.
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
                    detail: "stream ends inside an lz4 frame (truncated file)"
                )
            }
            if consumed == 0 && inputPosition < inputEnd {
                throw .corruptStream(offset: compressedOffset, detail: "lz4 decoder made no progress")
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
        if leadingBytes.count < 4 {
            leadingBytes += UnsafeRawBufferPointer(rebasing: input[0..<min(count, 4 - leadingBytes.count)])
        }
    }

    /// Runs the decoder once over the buffered input; returns how many bytes it consumed and produced.
    private func decompress(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> (Int, Int) {
        var sourceSize = inputEnd - inputPosition
        var destinationSize = buffer.count
        let result = LZ4F_decompress(
            context,
            buffer.baseAddress,
            &destinationSize,
            input.baseAddress! + inputPosition,
            &sourceSize,
            nil
        )
        inputPosition += sourceSize
        insideFrame = try check(result) != 0
        return (sourceSize, destinationSize)
    }

    /// Returns `result`, or throws the LZ4F error it encodes at the current compressed offset.
    private func check(_ result: Int) throws(ParseError) -> Int {
        guard LZ4F_isError(result) != 0 else { return result }
        if leadingBytes == Self.legacyMagic {
            throw .unsupported(offset: 0, what: "legacy lz4 format")
        }
        throw .corruptStream(offset: compressedOffset, detail: "lz4: " + lz4ErrorText(result))
    }
}

/// The text `LZ4F_getErrorName` gives for an error code.
private func lz4ErrorText(_ code: Int) -> String {
    String(cString: LZ4F_getErrorName(code))
}
