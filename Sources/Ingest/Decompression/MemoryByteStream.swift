/// A ``ByteStream`` over bytes already in memory, optionally handing them out in small pieces.
///
/// Tests use the piece size to feed a decoder every possible chunking of its input, the way a pipe or a
/// slow disk would.
public final class MemoryByteStream: ByteStream {
    private let bytes: [UInt8]
    private let maximumReadSize: Int
    /// How many bytes earlier reads have returned: the offset of the next byte.
    public private(set) var bytesRead: Int = 0

    /// Creates a stream that returns `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The whole content of the stream.
    ///   - maximumReadSize: The most bytes one ``read(into:)`` returns, or `nil` for no limit beyond the
    ///     caller's buffer. Must be positive.
    public init(_ bytes: [UInt8], maximumReadSize: Int? = nil) {
        precondition(maximumReadSize.map { $0 > 0 } ?? true, "maximumReadSize must be positive")
        self.bytes = bytes
        self.maximumReadSize = maximumReadSize ?? Int.max
    }

    /// Copies the next bytes into `buffer`, at most `maximumReadSize` of them.
    ///
    /// - Parameter buffer: Where to write.
    /// - Returns: The number of bytes copied; `0` at the end of the bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        let count = min(buffer.count, maximumReadSize, bytes.count - bytesRead)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[bytesRead..<bytesRead + count]))
        }
        bytesRead += count
        return count
    }
}
