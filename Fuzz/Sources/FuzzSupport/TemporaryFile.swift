#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One scratch file per fuzzing process, rewritten with every input, for the readers that only take a
/// path (`mmap`, libpcap's `FILE*`).
///
/// It lives in `/dev/shm` when there is one (no disk writes at tens of thousands of inputs a second),
/// else in `$TMPDIR` or `/tmp`, and is named after the process id, so parallel fuzzing jobs (`-jobs`)
/// do not share one. It is removed when the process exits normally.
public enum TemporaryFile {
    /// The scratch file's path.
    public static let path: String = {
        let folder: String
        if access("/dev/shm", W_OK) == 0 {
            folder = "/dev/shm"
        } else if let tmp = getenv("TMPDIR") {
            folder = String(cString: tmp)
        } else {
            folder = "/tmp"
        }
        let path = "\(folder)/medflow-fuzz-\(getpid())"
        atexit { _ = unlink(TemporaryFile.path) }
        return path
    }()

    /// Writes `bytes` to the scratch file (replacing what was there) and calls `body` with its path.
    ///
    /// - Parameters:
    ///   - bytes: The whole content of the file.
    ///   - body: Reads the file; it must not keep the path past its return.
    /// - Returns: What `body` returns.
    public static func withContents<R>(_ bytes: UnsafeRawBufferPointer, _ body: (String) -> R) -> R {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            precondition(count > 0, "cannot write \(path): \(String(cString: strerror(errno)))")
            written += count
        }
        close(descriptor)
        return body(path)
    }
}
