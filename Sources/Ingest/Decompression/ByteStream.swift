/// A source of bytes read front to back in caller-sized pieces: a file, an array, or a decompressor
/// layered on another stream.
///
/// Streams never hold their whole content in memory; each ``read(into:)`` fills at most the buffer it is
/// given. Conforming types are classes that own a file descriptor or a codec context, so a stream is
/// used by one reader at a time and is not `Sendable`.
public protocol ByteStream {
    /// Reads the next bytes of the stream into `buffer`.
    ///
    /// - Parameter buffer: Where to write; its count is the most bytes this call returns.
    /// - Returns: The number of bytes written at the start of `buffer`. `0` means the stream has ended
    ///   (or `buffer` is empty); any other call returns at least one byte.
    /// - Throws: ``ParseError/io(offset:detail:)`` for operating-system errors,
    ///   ``ParseError/corruptStream(offset:detail:)`` for compressed data its decoder rejects or that ends
    ///   inside a frame, and ``ParseError/unsupported(offset:what:)`` for formats medflow does not read.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int
}
