/// A policy or MUD file that cannot be used: one line naming the file, the line (and column) when known,
/// and the problem, like a compiler diagnostic (`policy.yaml:12:7: bad CIDR '10.0.0.0/33'`).
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file the problem is in.
    public var path: String
    /// 1-based line, or `nil` when the problem is not tied to a line.
    public var line: Int?
    /// 1-based column, or `nil`.
    public var column: Int?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(path: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// `path:line:column: message`, leaving out what is unknown.
    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let line, line > 0, let column { location += ":\(column)" }
        return "\(location): \(message)"
    }
}
