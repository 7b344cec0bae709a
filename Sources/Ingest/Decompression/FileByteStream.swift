#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A ``ByteStream`` that reads a file (or pipe) through its file descriptor with `read(2)`.
///
/// The stream owns the descriptor and closes it when it is deinitialised. The corresponding C functions
/// are `open`, `read` and `close`.
public final class FileByteStream: ByteStream {
    private let descriptor: Int32
    /// How many bytes have been read from the file so far: the offset of the next byte.
    public private(set) var bytesRead: Int = 0

    /// Opens `path` for reading.
    ///
    /// - Parameter path: The file to read.
    /// - Throws: ``ParseError/io(offset:detail:)`` at offset 0 with the system's message when the file
    ///   cannot be opened.
    public init(path: String) throws(ParseError) {
        let descriptor = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw .io(offset: 0, detail: systemErrorText()) }
        self.descriptor = descriptor
    }

    /// Wraps a descriptor that is already open for reading, taking ownership of it.
    ///
    /// - Parameter fileDescriptor: An open descriptor; the stream closes it on deinitialisation.
    public init(takingOwnershipOf fileDescriptor: Int32) {
        precondition(fileDescriptor >= 0, "invalid file descriptor \(fileDescriptor)")
        self.descriptor = fileDescriptor
    }

    deinit {
        _ = close(descriptor)
    }

    /// Reads the next bytes of the file, retrying reads interrupted by a signal.
    ///
    /// - Parameter buffer: Where to write.
    /// - Returns: The number of bytes read; `0` at the end of the file.
    /// - Throws: ``ParseError/io(offset:detail:)`` at the current offset when `read(2)` fails.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let count = retryingOnInterrupt { systemRead(descriptor, buffer.baseAddress, buffer.count) }
        guard count >= 0 else { throw .io(offset: bytesRead, detail: systemErrorText()) }
        bytesRead += count
        return count
    }
}

/// Calls `body` until it stops failing with `EINTR`; returns its last result.
private func retryingOnInterrupt<T: FixedWidthInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// `read(2)`, named so that it does not clash with ``FileByteStream/read(into:)``.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// The message for the current `errno`, as `strerror` words it.
private func systemErrorText() -> String {
    String(cString: strerror(errno))
}
