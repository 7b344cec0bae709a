/// A failure writing a result file: the file and what went wrong.
public struct OutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The final path of the file being written.
    public var path: String
    /// What went wrong, e.g. the system's message for a failed `open(2)`.
    public var detail: String

    /// Creates an error about `path`.
    ///
    /// - Parameters:
    ///   - path: The file's final path as the user named it.
    ///   - detail: What went wrong.
    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }

    /// `path: detail`, the one line the CLI prints.
    public var description: String { "\(path): \(detail)" }
}
