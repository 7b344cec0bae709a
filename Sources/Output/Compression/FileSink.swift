#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A file being written under a temporary name next to its final path, renamed into place when
/// committed and removed when discarded.
///
/// The temporary name is `.<name>.tmp-<pid>` in the final path's directory, so the rename is atomic and
/// readers never see a half-written result. The corresponding C functions are `open`, `write`, `close`,
/// `rename` and `unlink`.
final class FileSink {
    /// The final path; errors name it.
    let path: String
    /// Where the bytes go until ``commit()``.
    let temporaryPath: String
    private var descriptor: Int32

    /// Creates (or truncates) the temporary file for `path`.
    init(path: String) throws(OutputError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporaryPath = "\(directory).\(name).tmp-\(getpid())"
        let descriptor = retryingOnInterrupt {
            open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else {
            throw OutputError(path: path, detail: "cannot create \(temporaryPath): \(systemErrorText())")
        }
        self.path = path
        self.temporaryPath = temporaryPath
        self.descriptor = descriptor
    }

    deinit {
        discard()
    }

    /// Writes all of `bytes`, continuing after partial writes and interrupted calls.
    func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        precondition(descriptor >= 0, "FileSink.write after commit or discard")
        var offset = 0
        while offset < bytes.count {
            let written = retryingOnInterrupt {
                systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            }
            guard written >= 0 else { throw OutputError(path: path, detail: "write failed: \(systemErrorText())") }
            offset += written
        }
    }

    /// Closes the temporary file and renames it to the final path; on failure the temporary file is
    /// removed.
    func commit() throws(OutputError) {
        precondition(descriptor >= 0, "FileSink.commit after commit or discard")
        let closed = systemClose(descriptor)
        descriptor = -1
        guard closed == 0 else {
            let error = OutputError(path: path, detail: "close failed: \(systemErrorText())")
            unlink(temporaryPath)
            throw error
        }
        guard rename(temporaryPath, path) == 0 else {
            let error = OutputError(path: path, detail: "cannot rename \(temporaryPath): \(systemErrorText())")
            unlink(temporaryPath)
            throw error
        }
    }

    /// Closes the temporary file, if still open, and removes it. Does nothing after ``commit()``.
    func discard() {
        guard descriptor >= 0 else { return }
        _ = systemClose(descriptor)
        descriptor = -1
        unlink(temporaryPath)
    }
}

/// Calls `body` until it stops failing with `EINTR`; returns its last result.
private func retryingOnInterrupt<T: FixedWidthInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// `write(2)`, named so that it does not clash with ``FileSink/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// `close(2)`, named like ``systemWrite(_:_:_:)``.
private func systemClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

/// The message for the current `errno`, as `strerror` words it.
private func systemErrorText() -> String {
    String(cString: strerror(errno))
}
