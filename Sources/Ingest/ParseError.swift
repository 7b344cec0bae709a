/// What went wrong reading an input, with the byte offset where it was found.
///
/// Offsets count from the start of the file, or of the decompressed stream for compressed inputs (the
/// description says which). The file name is added by ``InputError``, not by each case.
public enum ParseError: Error, Hashable, Sendable {
    /// The data ends inside a structure: `needed` bytes were required at `offset`, `available` were there.
    case truncated(offset: Int, needed: Int, available: Int)
    /// The file does not start with a magic number of any format medflow reads.
    case badMagic(offset: Int, value: UInt32)
    /// A length or count field holds an impossible value.
    case invalidLength(offset: Int, field: String, value: Int)
    /// A well-formed feature medflow does not read (a link type, a format version, …).
    case unsupported(offset: Int, what: String)
    /// A compressed stream that its decoder rejects; `offset` is in the compressed file.
    case corruptStream(offset: Int, detail: String)
    /// An operating-system error while reading.
    case io(offset: Int, detail: String)
    /// Damaged data the reader stepped over: `bytes` bytes from `offset` up to the next good record;
    /// `reason` says what was wrong at `offset`. A warning, never thrown.
    case skipped(offset: Int, bytes: Int, reason: String)

    /// The byte offset the error refers to.
    public var offset: Int {
        switch self {
        case .truncated(let offset, _, _), .badMagic(let offset, _), .invalidLength(let offset, _, _),
            .unsupported(let offset, _), .corruptStream(let offset, _), .io(let offset, _), .skipped(let offset, _, _):
            offset
        }
    }
}

extension ParseError: CustomStringConvertible {
    /// One line: what was wrong and where, e.g. `truncated record at byte 8: needed 16, had 2`.
    public var description: String {
        switch self {
        case .truncated(let offset, let needed, let available):
            "truncated at byte \(offset): needed \(needed) bytes, had \(available)"
        case .badMagic(let offset, let value):
            "unknown file format at byte \(offset): magic 0x\(String(value, radix: 16, uppercase: false)) "
                + "is not pcap, pcapng, zstd or lz4"
        case .invalidLength(let offset, let field, let value):
            "invalid \(field) \(value) at byte \(offset)"
        case .unsupported(let offset, let what):
            "unsupported \(what) at byte \(offset)"
        case .corruptStream(let offset, let detail):
            "corrupt compressed stream at byte \(offset): \(detail)"
        case .io(let offset, let detail):
            "read error at byte \(offset): \(detail)"
        case .skipped(let offset, let bytes, let reason):
            "damaged data at byte \(offset) (\(reason)): skipped \(bytes) bytes to the next valid record"
        }
    }
}

/// A ``ParseError`` with the path of the input it happened in: the one-line message users see.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input's path as the user gave it.
    public var path: String
    /// What went wrong.
    public var underlying: ParseError

    /// Creates an error for `path`.
    public init(path: String, underlying: ParseError) {
        self.path = path
        self.underlying = underlying
    }

    /// `path: problem at byte N`.
    public var description: String { "\(path): \(underlying)" }
}
