/// A result file written as a compressed stream and put in place atomically when closed.
///
/// Bytes go to a temporary file (`.<name>.tmp-<pid>`) in the same directory, through a 1 MiB buffer and
/// a streaming zstd or LZ4 encoder, so memory use does not grow with the file. ``close()`` ends the frame
/// and renames the temporary file to ``path``; an `OutputFile` that is deinitialised without being
/// closed (an error path) removes its temporary file instead, so a result file is either complete or
/// absent. Every file reads back with `zstd -dc` or `lz4 -dc`.
///
/// ```swift
/// let file = try OutputFile(path: "out/beacons.ndjson.zst", compression: .zstd)
/// try file.write(Array(line.utf8))
/// try file.close()
/// ```
public final class OutputFile {
    /// How many bytes a write may buffer before they are handed to the encoder.
    static let bufferCapacity = 1 << 20

    private enum State {
        case open
        case closed
        case failed(OutputError)
    }

    /// The final path, where the file appears after ``close()``.
    public let path: String
    /// How the file is compressed.
    public let compression: OutputCompression
    /// How many uncompressed bytes have been written so far.
    public private(set) var bytesWritten = 0

    private let sink: FileSink
    private let encoder: any FrameEncoder
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var state = State.open

    /// Creates the temporary file for `path` and starts the compressed stream.
    ///
    /// - Parameters:
    ///   - path: Where the file appears once closed; an existing file there is replaced on ``close()``.
    ///     Add ``OutputCompression/fileExtension`` yourself if you want it.
    ///   - compression: The encoding of the file.
    ///   - level: The compression level; `nil` uses medflow's default (zstd 1, LZ4 fast mode 0).
    ///     Ignored for ``OutputCompression/none``.
    ///   - backgroundCompression: zstd only: compress on a thread of zstd's own, so the writer's thread
    ///     encodes the next records meanwhile (result files; captures `synth` writes stay single-threaded,
    ///     so their bytes do not change).
    /// - Throws: ``OutputError`` naming `path` when the temporary file cannot be created, e.g. because
    ///   the directory is missing or not writable.
    public init(path: String, compression: OutputCompression, level: Int32? = nil,
                backgroundCompression: Bool = false) throws(OutputError) {
        let sink = try FileSink(path: path)
        self.path = path
        self.compression = compression
        self.sink = sink
        self.encoder = try compression.makeEncoder(level: level, background: backgroundCompression, sink: sink)
        self.buffer = .allocate(byteCount: Self.bufferCapacity, alignment: 16)
    }

    deinit {
        sink.discard()
        buffer.deallocate()
    }

    /// Appends `bytes` to the file.
    ///
    /// - Parameter bytes: The uncompressed bytes to write; they are copied before the call returns.
    /// - Throws: ``OutputError`` when compressing or writing fails; the file is then abandoned and later
    ///   calls throw the same error.
    /// - Precondition: ``close()`` has not been called.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try checkOpen()
        guard bytes.count > 0 else { return }
        do throws(OutputError) {
            if buffered + bytes.count <= buffer.count {
                UnsafeMutableRawBufferPointer(rebasing: buffer[buffered...]).copyMemory(from: bytes)
                buffered += bytes.count
            } else {
                try flushBuffer()
                if bytes.count >= buffer.count {
                    try encoder.encode(bytes)
                } else {
                    buffer.copyMemory(from: bytes)
                    buffered = bytes.count
                }
            }
            bytesWritten += bytes.count
        } catch {
            fail(error)
            throw error
        }
    }

    /// Appends `bytes` to the file.
    ///
    /// - Parameter bytes: The uncompressed bytes to write.
    /// - Throws: ``OutputError`` as ``write(_:)-(UnsafeRawBufferPointer)`` does.
    public func write(_ bytes: [UInt8]) throws(OutputError) {
        try checkOpen()
        // `withUnsafeBytes` is `rethrows`, which erases the typed error; route it through `Result`.
        let result: Result<Void, OutputError> = bytes.withUnsafeBytes { raw in
            do throws(OutputError) {
                try write(raw)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Ends the compressed stream, writes what is buffered and renames the file to ``path``.
    ///
    /// - Throws: ``OutputError`` when the last writes, closing or renaming fail; the temporary file is
    ///   then removed and nothing appears at ``path``.
    /// - Precondition: ``close()`` has not been called before.
    public func close() throws(OutputError) {
        try checkOpen()
        do throws(OutputError) {
            try flushBuffer()
            try encoder.finish()
            try sink.commit()
            state = .closed
        } catch {
            fail(error)
            throw error
        }
    }

    /// Traps after ``close()``, rethrows an earlier failure, and returns while the file is open.
    private func checkOpen() throws(OutputError) {
        switch state {
        case .open: return
        case .closed: preconditionFailure("OutputFile \(path) used after close()")
        case .failed(let error): throw error
        }
    }

    /// Hands the buffered bytes to the encoder.
    private func flushBuffer() throws(OutputError) {
        guard buffered > 0 else { return }
        try encoder.encode(UnsafeRawBufferPointer(rebasing: buffer[..<buffered]))
        buffered = 0
    }

    /// Abandons the file after `error`: removes the temporary file and remembers why.
    private func fail(_ error: OutputError) {
        sink.discard()
        state = .failed(error)
    }
}
