/// The text encoding of result files. Field names are the same in every format.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// One JSON object per line.
    case ndjson
    /// Comma-separated values with a header line (RFC 4180 quoting).
    case csv

    /// The file-name extension, without compression: `.ndjson` or `.csv`.
    public var fileExtension: String { ".\(rawValue)" }
}
